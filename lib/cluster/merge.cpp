#include "cluster/merge.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "base/error.h"
#include "cluster/json_file.h"
#include "cluster/merge_report.h"

namespace llama::cluster {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Where a sink writes its records, as ops/output_file.h names it (one file for all videos).
std::string sink_file(const spec::OpSpec& op) {
  auto file = op.params.find("file");
  if (file != op.params.end() && file->second.value.is_string()) return file->second.value;
  return op.name + ".jsonl";
}

// Where an encode op writes: as ops/output_file.h names it for a job of one video.
std::string encode_file(const spec::OpSpec& op) {
  auto file = op.params.find("file");
  if (file != op.params.end() && file->second.value.is_string()) return file->second.value;
  return op.name + ".mp4";
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

void link_or_copy(const fs::path& from, const fs::path& to) {
  fs::create_directories(to.parent_path());
  std::error_code ec;
  fs::remove(to, ec);
  fs::create_hard_link(from, to, ec);
  if (ec) fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

// The record with its "track_id" moved up by `shift`, every other byte as the task wrote it.
std::string shift_track_id(const std::string& line, int64_t shift) {
  const std::string key = "\"track_id\":";
  size_t at = line.find(key);
  if (at == std::string::npos) return line;
  size_t begin = at + key.size();
  size_t end = begin;
  while (end < line.size() && std::isdigit(static_cast<unsigned char>(line[end]))) ++end;
  if (end == begin) return line;
  return line.substr(0, begin) +
         std::to_string(std::stoll(line.substr(begin, end - begin)) + shift) + line.substr(end);
}

// Appends `from`'s records to `out`, shifting track_id by `shift`. A last line cut short (a
// task killed mid-write) is dropped, as a local run's partial results would end before it.
void append_records(const fs::path& from, std::ofstream& out, int64_t shift) {
  std::ifstream in(from);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline after it: cut short
    if (line.empty()) continue;
    if (shift != 0) line = shift_track_id(line, shift);
    out << line << "\n";
  }
}

}  // namespace

MergeResult merge_job(const Manifest& m, const spec::PipelineSpec& pipeline,
                      const std::optional<spec::PriceSheet>& prices,
                      const std::vector<TaskOutcome>& outcomes) {
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
    if (op.kind == "encode") encodes.insert(encode_file(op));
    if (op.kind == "sink") track_of_file[sink_file(op)] = upstream_track(pipeline, op);
  }

  // Every file the tasks wrote, by path inside their folder; records are appended in task
  // order, other outputs (videos) linked.
  std::map<std::string, std::unique_ptr<std::ofstream>> record_files;
  std::map<std::string, int64_t> shift;  // track op -> ids given by the tasks so far
  std::set<std::string> linked;
  for (int t = 0; t < tasks; ++t) {
    const fs::path dir = task_dir(m.out_dir, t);
    if (!fs::is_directory(dir)) continue;
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
         ++it) {
      if (it->is_directory() && it->path().filename() == ".llama") {
        it.disable_recursion_pending();  // the run's own state, not results
        continue;
      }
      if (it->is_regular_file()) files.push_back(fs::relative(it->path(), dir));
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& rel : files) {
      const std::string name = rel.generic_string();
      if (name == "report.json") continue;
      const fs::path target = fs::path(m.out_dir) / rel;
      if (rel.extension() == ".jsonl") {
        auto& out = record_files[name];
        if (!out) {
          fs::create_directories(target.parent_path());
          out = std::make_unique<std::ofstream>(target, std::ios::trunc);
          if (!*out)
            throw Error(ExitCode::output, target.string() + ": cannot write (check --out)");
        }
        auto track = track_of_file.find(name);
        int64_t by =
            track != track_of_file.end() && !track->second.empty() ? shift[track->second] : 0;
        append_records(dir / rel, *out, by);
        continue;
      }
      const fs::path job_name = job_output_name(m, t, rel, encodes);
      if (!linked.insert(job_name.generic_string()).second)
        throw Error(ExitCode::runtime, "task " + std::to_string(t) +
                                           " and an earlier one both wrote " +
                                           job_name.generic_string() + " (in " + m.out_dir +
                                           "/tasks): a video's outputs must come from one task");
      link_or_copy(dir / rel, fs::path(m.out_dir) / job_name);
    }
    for (const std::string& track : tracks) shift[track] += tracks_given(reports[t], track);
  }
  for (auto& [name, out] : record_files) {
    out->flush();
    if (!*out)
      throw Error(ExitCode::output, m.out_dir + "/" + name + ": cannot write (disk full?)");
  }

  MergeResult result;
  result.report = merged_report(m, pipeline, prices, reports, outcomes);
  result.complete = result.report.value("complete", false);
  for (const json& task : result.report["cluster"]["tasks"])
    if (task.value("status", "") != "complete") result.unfinished.push_back(task["task"]);
  result.report_path = (fs::path(m.out_dir) / "report.json").string();
  write_json_file(result.report_path, result.report);
  return result;
}

}  // namespace llama::cluster
