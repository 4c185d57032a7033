// `llama run --cluster slurm`: the job fanned out over a Slurm cluster as an array of tasks,
// each a `llama run` of its own slice (`llama task`), then merged into --out as a local run
// writes it.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "planning.h"

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

int run_on_cluster(const ClusterRun& run, const ClusterFlags& cluster);

}  // namespace llama::app
