// The cluster job's manifest, OUT/cluster/job.json: what each task runs, written by the
// submitting `llama run --cluster slurm`, read by every task (`llama task`) and by
// `llama merge`. Paths are absolute except the inputs, kept as typed (the tasks run in the
// directory the job was submitted from, so records name videos as a local run does).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cluster/slurm.h"

namespace llama::cluster {

// A task's slice of its one video: results for frames stamped [from_s, to_s); the warmup_s
// before from_s is read only to warm stateful ops up (tracks, windows, motion).
struct VideoSegment {
  double from_s = 0;
  double to_s = 0;  // infinite: to the end
  double warmup_s = 0;
};

struct TaskSpec {
  std::vector<std::string> inputs;
  int64_t frames = 0;  // the containers' count, for the split and the progress line
  std::optional<VideoSegment> segment;
};

// One sbatch of the job: the first, or a resubmission of failed tasks.
struct Submission {
  std::string job_id;
  std::vector<int> tasks;
  double submitted_unix = 0;
};

struct Manifest {
  std::string pipeline;         // absolute
  std::string workdir;          // where the job was submitted from
  std::string out_dir;          // absolute
  std::string llama;            // the llama binary the tasks run
  std::optional<double> slo_s;  // the job's; each task runs to the time left of it
  std::string objective;        // slo, fast, cheap, or static
  double submitted_unix = 0;
  // Flags every task's `llama run` gets (store, prices, static).
  std::vector<std::string> run_args;
  // The job has several videos: outputs are named per video (as a local run names them) even
  // in a task that has one.
  bool outputs_per_video = false;
  SlurmOptions slurm;
  std::vector<TaskSpec> tasks;
  std::vector<Submission> submissions;
  // The cluster plan that chose the task count (its prediction, for report.json); null for
  // --static.
  nlohmann::json plan;
};

// Seconds since the epoch: the clock of every time in the manifest and the task records
// (tasks run on other machines, so a steady clock would not compare).
double now_unix();

std::string manifest_path(const std::string& out_dir);
std::string task_dir(const std::string& out_dir, int task);

// Written atomically. Throws Error(output) naming the file.
void write_manifest(const Manifest& manifest);
// Throws Error(bad_input) naming the file and what is wrong with it.
Manifest read_manifest(const std::string& out_dir);

// What a task's wrapper (`llama task`) records: OUT/cluster/task-N.json. Outside the task's
// own --out, which its llama run owns.
struct TaskRecord {
  int task = -1;
  std::string host;
  double started_unix = 0;
  double ended_unix = 0;  // 0 while it runs
  int exit_code = -1;     // of its llama run; -1 while it runs
};

std::string task_record_path(const std::string& out_dir, int task);
void write_task_record(const std::string& out_dir, const TaskRecord& record);
// nullopt when the task never started (or its record is unreadable).
std::optional<TaskRecord> read_task_record(const std::string& out_dir, int task);

}  // namespace llama::cluster
