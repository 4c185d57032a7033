// What Slurm tasks cost beyond their work on a partition, measured by every cluster run and
// kept beside the profile store (STORE/slurm/PARTITION.json): the planner's queue wait and
// start-up. The last kMaxSamples tasks count; their medians are the estimate.
#pragma once

#include <string>
#include <vector>

#include "cluster/cluster_plan.h"

namespace llama::cluster {

constexpr int kMaxSamples = 100;

// The assumed defaults when nothing was measured yet; never throws (a damaged file is as none).
TaskOverheads read_overheads(const std::string& store_dir, const std::string& partition);

// Adds the finished tasks of a job (report.json's cluster.tasks). Throws Error(output).
void record_overheads(const std::string& store_dir, const std::string& partition,
                      const std::vector<double>& queue_s, const std::vector<double>& startup_s);

}  // namespace llama::cluster
