#include "cluster/merge.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "base/error.h"
#include "cluster/json_file.h"
#include "cluster/merge_records.h"
#include "cluster/merge_report.h"
#include "video/video_concat.h"

namespace llama::cluster {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Where a writer op puts its output, as ops/output_file.h names it for a job of one video:
// its `file` param, else its name with `extension` (a sink's records, an encoder's video).
std::string output_file(const spec::OpSpec& op, const std::string& extension) {
  auto file = op.params.find("file");
  if (file != op.params.end() && file->second.value.is_string()) return file->second.value;
  return op.name + extension;
}

// A task of one video in a job of several named its video outputs as a one-video job does;
// the job names them per video ("blur.mp4" -> "blur-a.mp4" for a.mp4), as a local run would.
fs::path job_output_name(const Manifest& m, int task, const fs::path& rel,
                         const std::set<std::string>& encodes) {
  if (!m.outputs_per_video || m.tasks[task].inputs.size() != 1 ||
      !encodes.count(rel.generic_string()))
    return rel;
  fs::path named = rel;
  named.replace_filename(rel.stem().string() + "-" +
                         fs::path(m.tasks[task].inputs[0]).stem().string() +
                         rel.extension().string());
  return named;
}

// The track op whose ids a sink's records carry: the first met walking up its inputs.
std::string upstream_track(const spec::PipelineSpec& pipeline, const spec::OpSpec& op) {
  std::vector<const spec::OpSpec*> todo = {&op};
  std::set<std::string> seen;
  while (!todo.empty()) {
    const spec::OpSpec* at = todo.back();
    todo.pop_back();
    if (!seen.insert(at->name).second) continue;
    if (at->kind == "track") return at->name;
    for (const spec::InputRef& in : at->inputs)
      if (const spec::OpSpec* up = pipeline.find_op(in.op)) todo.push_back(up);
  }
  return "";
}

// Ids a task's track op gave out (its report's op summary); ids in task N's records are
// shifted by those of tasks 0..N-1, which makes them those of one run over every video.
int64_t tracks_given(const json& report, const std::string& op) {
  if (!report.is_object() || !report.contains("ops")) return 0;
  for (const json& entry : report["ops"])
    if (entry.value("name", "") == op && entry.contains("output") && entry["output"].is_object())
      return entry["output"].value("tracks", int64_t{0});
  return 0;
}

// The files a task wrote, relative to its folder: not its reports or its run's own state.
std::vector<fs::path> task_files(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::is_directory(dir)) return files;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it) {
    if (it->is_directory() && it->path().filename() == ".llama") {
      it.disable_recursion_pending();
      continue;
    }
    const fs::path name = it->path().filename();
    if (it->is_regular_file() && name != "report.json" && name != "report.html")
      files.push_back(fs::relative(it->path(), dir));
  }
  std::sort(files.begin(), files.end());
  return files;
}

void link_or_copy(const fs::path& from, const fs::path& to) {
  fs::create_directories(to.parent_path());
  std::error_code ec;
  fs::remove(to, ec);
  fs::create_hard_link(from, to, ec);
  if (ec) fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

}  // namespace

MergeResult merge_job(const Manifest& m, const spec::PipelineSpec& pipeline,
                      const std::optional<spec::PriceSheet>& prices,
                      const std::vector<TaskOutcome>& outcomes, bool ends_now) {
  const int tasks = static_cast<int>(m.tasks.size());
  std::vector<json> reports(tasks);
  for (int t = 0; t < tasks; ++t) {
    fs::path report = fs::path(task_dir(m.out_dir, t)) / "report.json";
    if (fs::exists(report)) {
      try {
        reports[t] = read_json_file(report.string());
      } catch (const Error&) {
        reports[t] = nullptr;  // a task killed while writing it: counted as unfinished
      }
    }
  }

  // Which track op each sink file's ids come from.
  std::map<std::string, std::string> track_of_file;
  std::set<std::string> tracks, encodes;
  for (const spec::OpSpec& op : pipeline.ops) {
    if (op.kind == "track") tracks.insert(op.name);
    if (op.kind == "encode") encodes.insert(output_file(op, ".mp4"));
    if (op.kind == "sink") track_of_file[output_file(op, ".jsonl")] = upstream_track(pipeline, op);
  }

  // Every file the tasks wrote, by path inside their folder: records merged in task order,
  // a video's segments joined, other outputs (one video's) linked.
  std::map<std::string, std::unique_ptr<RecordMerger>> records;
  std::map<std::string, std::vector<fs::path>> parts;  // job output -> its tasks' files
  std::map<std::string, int64_t> shift;                // track op -> ids given by the tasks so far
  for (int t = 0; t < tasks; ++t) {
    // Records of this task from then on are what the next task's warm-up overlaps.
    double keep_from_s = HUGE_VAL;
    if (t + 1 < tasks && m.tasks[t + 1].segment)
      keep_from_s = m.tasks[t + 1].segment->from_s - m.tasks[t + 1].segment->warmup_s;
    std::set<std::string> seen;
    for (const fs::path& rel : task_files(task_dir(m.out_dir, t))) {
      const std::string name = rel.generic_string();
      if (rel.extension() == ".jsonl") {
        auto track = track_of_file.find(name);
        const bool tracked = track != track_of_file.end() && !track->second.empty();
        auto& merger = records[name];
        if (!merger) {
          fs::create_directories((fs::path(m.out_dir) / rel).parent_path());
          merger = std::make_unique<RecordMerger>(fs::path(m.out_dir) / rel, tracked);
        }
        merger->add_task(fs::path(task_dir(m.out_dir, t)) / rel, tracked ? shift[track->second] : 0,
                         keep_from_s);
        seen.insert(name);
        continue;
      }
      parts[job_output_name(m, t, rel, encodes).generic_string()].push_back(
          fs::path(task_dir(m.out_dir, t)) / rel);
    }
    for (auto& [name, merger] : records)
      if (!seen.count(name)) merger->skip_task();
    for (const std::string& track : tracks) shift[track] += tracks_given(reports[t], track);
  }
  for (auto& [name, merger] : records) merger->close();
  for (const auto& [name, files] : parts) {
    const fs::path target = fs::path(m.out_dir) / name;
    if (files.size() == 1) {
      link_or_copy(files[0], target);
    } else if (m.tasks.front().segment) {
      std::vector<std::string> paths(files.begin(), files.end());
      video::concat_videos(paths, target.string());  // one video's segments, in order
    } else {
      throw Error(ExitCode::runtime, "two tasks both wrote " + name + " (in " + m.out_dir +
                                         "/tasks): a video's outputs must come from one task");
    }
  }

  MergeResult result;
  result.report = merged_report(m, pipeline, prices, reports, outcomes, ends_now);
  result.complete = result.report.value("complete", false);
  for (const json& task : result.report["cluster"]["tasks"])
    if (task.value("status", "") != "complete") result.unfinished.push_back(task["task"]);
  result.report_path = (fs::path(m.out_dir) / "report.json").string();
  write_json_file(result.report_path, result.report);
  return result;
}

}  // namespace llama::cluster
