#include "cluster/manifest.h"

#include <chrono>
#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "cluster/json_file.h"

namespace llama::cluster {

namespace fs = std::filesystem;
using nlohmann::json;

double now_unix() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string manifest_path(const std::string& out_dir) {
  return (fs::path(out_dir) / "cluster" / "job.json").string();
}

std::string task_dir(const std::string& out_dir, int task) {
  return (fs::path(out_dir) / "tasks" / std::to_string(task)).string();
}

void write_manifest(const Manifest& m) {
  json tasks = json::array(), submissions = json::array();
  for (const TaskSpec& t : m.tasks) {
    json task = {{"inputs", t.inputs}, {"frames", t.frames}};
    if (t.segment)
      task["segment"] = {
          {"from_s", t.segment->from_s},
          {"to_s", std::isfinite(t.segment->to_s) ? json(t.segment->to_s) : json(nullptr)},
          {"warmup_s", t.segment->warmup_s}};
    tasks.push_back(task);
  }
  for (const Submission& s : m.submissions)
    submissions.push_back(
        {{"job_id", s.job_id}, {"tasks", s.tasks}, {"submitted_unix", s.submitted_unix}});
  json j = {{"version", 1},
            {"pipeline", m.pipeline},
            {"workdir", m.workdir},
            {"out_dir", m.out_dir},
            {"llama", m.llama},
            {"slo_s", m.slo_s ? json(*m.slo_s) : json(nullptr)},
            {"objective", m.objective},
            {"submitted_unix", m.submitted_unix},
            {"run_args", m.run_args},
            {"outputs_per_video", m.outputs_per_video},
            {"slurm",
             {{"partition", m.slurm.partition},
              {"account", m.slurm.account},
              {"cpus_per_task", m.slurm.cpus_per_task},
              {"gpus_per_task", m.slurm.gpus_per_task}}},
            {"tasks", tasks},
            {"submissions", submissions},
            {"plan", m.plan}};
  fs::create_directories(fs::path(manifest_path(m.out_dir)).parent_path());
  write_json_file(manifest_path(m.out_dir), j);
}

Manifest read_manifest(const std::string& out_dir) {
  const std::string path = manifest_path(out_dir);
  if (!fs::exists(path))
    throw Error(ExitCode::bad_input, out_dir + ": holds no cluster job (no " + path +
                                         "; `llama run --cluster slurm --out " + out_dir +
                                         "` makes one)");
  json j = read_json_file(path);
  try {
    Manifest m;
    m.pipeline = j.at("pipeline");
    m.workdir = j.at("workdir");
    m.out_dir = j.at("out_dir");
    m.llama = j.at("llama");
    if (!j.at("slo_s").is_null()) m.slo_s = j.at("slo_s").get<double>();
    m.objective = j.at("objective");
    m.submitted_unix = j.at("submitted_unix");
    m.run_args = j.at("run_args").get<std::vector<std::string>>();
    m.outputs_per_video = j.at("outputs_per_video");
    const json& s = j.at("slurm");
    m.slurm = {s.at("partition"), s.at("account"), s.at("cpus_per_task"), s.at("gpus_per_task")};
    for (const json& t : j.at("tasks")) {
      TaskSpec task{t.at("inputs").get<std::vector<std::string>>(), t.at("frames"), std::nullopt};
      if (t.contains("segment")) {
        const json& s = t["segment"];
        task.segment = VideoSegment{s.at("from_s"),
                                    s.at("to_s").is_null() ? HUGE_VAL : s.at("to_s").get<double>(),
                                    s.at("warmup_s")};
      }
      m.tasks.push_back(task);
    }
    for (const json& s2 : j.at("submissions"))
      m.submissions.push_back(
          {s2.at("job_id"), s2.at("tasks").get<std::vector<int>>(), s2.at("submitted_unix")});
    m.plan = j.value("plan", json());
    return m;
  } catch (const json::exception& e) {
    throw Error(ExitCode::bad_input, path + ": not a llama cluster manifest (" + e.what() +
                                         "); it is written by llama run --cluster slurm");
  }
}

std::string task_record_path(const std::string& out_dir, int task) {
  return (fs::path(out_dir) / "cluster" / ("task-" + std::to_string(task) + ".json")).string();
}

void write_task_record(const std::string& out_dir, const TaskRecord& r) {
  write_json_file(task_record_path(out_dir, r.task), {{"task", r.task},
                                                      {"host", r.host},
                                                      {"started_unix", r.started_unix},
                                                      {"ended_unix", r.ended_unix},
                                                      {"exit_code", r.exit_code}});
}

std::optional<TaskRecord> read_task_record(const std::string& out_dir, int task) {
  try {
    json j = read_json_file(task_record_path(out_dir, task));
    return TaskRecord{j.at("task"), j.at("host"), j.at("started_unix"), j.at("ended_unix"),
                      j.at("exit_code")};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace llama::cluster
