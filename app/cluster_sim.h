// llama simulate PIPELINE --pool slurm:tasks=N,cpus=C[,...]: a Slurm job this machine is not
// on. Each task count's tasks (the job's frames cut evenly, each after the first with its
// warm-up) are played through the runtime core on a virtual clock, on one task's cpus, at
// the fast plan every task runs; the
// cluster adds queue wait, start-up (the partition's measured medians, or as given), waves
// past the partition's width, and the merge. Prints the latency and allocated cost of N tasks
// and the curve from the fastest count to the cheapest.
#pragma once

#include <optional>
#include <string>

#include "graph/graph.h"
#include "planning.h"
#include "runtime/simulator.h"

namespace llama::app {

struct SlurmPool {
  int tasks = 0;
  int cpus = 1;                              // per task
  int gpus = 0;                              // per task
  int width = 0;                             // tasks at once (the partition's cpus / cpus); 0: all
  std::optional<double> queue_s, startup_s;  // default: measured on the partition, or assumed
  std::string partition;
};

// "slurm:tasks=100,cpus=16[,gpus=1][,width=50][,queue=5s][,startup=20s][,partition=P]".
// Throws Error(usage) naming --pool.
SlurmPool parse_slurm_pool(const std::string& text);

int simulate_slurm(const graph::Pipeline& pipeline, PlanRequest& request, const SlurmPool& pool,
                   double frames, const runtime::SimOptions& options, const std::string& store,
                   bool json);

}  // namespace llama::app
