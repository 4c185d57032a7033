// `llama run --cluster slurm`: the job fanned out over a Slurm cluster as an array of tasks,
// each a `llama run` of its own slice (`llama task`), then merged into --out as a local run
// writes it.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cluster/cluster_plan.h"
#include "cluster/manifest.h"
#include "planning.h"
#include "video/video_reader.h"

namespace llama::app {

struct ClusterFlags {
  std::string cluster;  // "" (this machine) or "slurm"
  std::string partition;
  std::string account;
  int max_tasks = 16;
  int cpus_per_task = 2;
  int gpus_per_task = 0;
  int retries = 2;
};

// Adds --cluster, --partition, --account, --max-tasks, --cpus-per-task, --gpus-per-task and
// --retries to `sub`.
void add_cluster_flags(CLI::App* sub, ClusterFlags& flags);

struct ClusterRun {
  std::string pipeline_file;
  PlanFlags plan;
  std::string out_dir;  // "" for out/<pipeline name>
  bool force = false;   // discard an earlier cluster job in out_dir
  bool json = false;
  bool strict = false;
};

// The job's tasks for the task count the cluster planner chooses (cluster_plan.h): the plan
// that chose it, with a task's pace from the fastest plan on one task's allocation (profiling
// first, as llama run does) and the partition's measured overheads. With --static there are
// no profiles to size by: --max-tasks tasks, and no plan.
struct ClusterJob {
  std::vector<cluster::TaskSpec> tasks;
  std::optional<cluster::ClusterPlan> plan;
  cluster::ClusterModel model;
};
ClusterJob plan_cluster_job(const graph::Pipeline& pipeline, PlanRequest& request,
                            const PlanFlags& plan_flags, const ClusterFlags& flags);

// The plan as report.json and `llama explain --cluster slurm --json` give it.
nlohmann::json cluster_plan_json(const cluster::ClusterPlan& plan,
                                 const cluster::ClusterModel& model);

// The job split into (at most) `tasks` tasks: videos spread, or one video cut in segments.
std::vector<cluster::TaskSpec> split_job(const spec::PipelineSpec& pipeline,
                                         const std::vector<std::string>& videos,
                                         const std::vector<video::VideoInfo>& infos, int tasks);

int run_on_cluster(const ClusterRun& run, const ClusterFlags& cluster);

}  // namespace llama::app
