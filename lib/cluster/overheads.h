// What Slurm tasks cost beyond their work on a partition, and how fast they do the work,
// measured by every cluster run and kept beside the profile store (STORE/slurm/PARTITION.json):
// queue wait, start-up, and each task's run over what its plan predicted (the nodes' pace
// against this machine's profiles). The last kMaxSamples tasks count; medians are the estimate.
#pragma once

#include <string>
#include <vector>

#include "cluster/cluster_plan.h"

namespace llama::cluster {

constexpr int kMaxSamples = 100;

// One finished task, as report.json's cluster.tasks gives it.
struct TaskSample {
  double queue_s = 0;
  double startup_s = 0;
  double run_ratio = 0;  // measured run / predicted run; 0 when the run had no prediction
};

// The assumed defaults when nothing was measured yet; never throws (a damaged file is as none).
TaskOverheads read_overheads(const std::string& store_dir, const std::string& partition);

// Adds a job's finished tasks. Throws Error(output).
void record_overheads(const std::string& store_dir, const std::string& partition,
                      const std::vector<TaskSample>& tasks);

}  // namespace llama::cluster
