// How many Slurm tasks a job gets: the same trade the Llama paper makes on serverless. More
// tasks end sooner, but each pays its queue wait and start-up, and the slices do not shrink
// evenly (a clip is never split, segments carry a warm-up). For each task count, the tasks'
// frames (from the split) give their run times; the partition's width gives how many run
// at once; the allocation (cpus and GPUs for each task's whole life) gives the bill.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace llama::cluster {

// What a task costs beyond its frames, on one partition: measured (overheads.h) or assumed.
struct TaskOverheads {
  double queue_s = 1.0;    // submission to start
  double startup_s = 2.0;  // process start, profile and model load
  double run_ratio = 1.0;  // a task's measured run over its plan's prediction
  int samples = 0;         // tasks measured; 0: the assumed defaults
};

struct ClusterModel {
  // A task's run time for the frames it reads: the plan it will run (its objective, its part
  // of the SLO) on one task's allocation, times overheads.run_ratio.
  std::function<double(int64_t frames)> task_run_s;
  TaskOverheads overheads;
  int cpus_per_task = 1;
  int gpus_per_task = 0;
  int tasks_at_once = 0;  // the partition's cpus / cpus per task; 0: not known (no limit)
  double core_second_usd = 0;
  double gpu_second_usd = 0;
  // After the last task: half a poll of squeue (once a second) on average, then the merge.
  double merge_s = 0.6;
};

struct ClusterCandidate {
  int tasks = 0;
  double longest_run_s = 0;  // the longest task's run, start-up not included
  double latency_s = 0;      // submission to the last task's end
  double core_s = 0;         // allocated
  double gpu_s = 0;
  double usd = 0;
};

struct ClusterPlan {
  ClusterCandidate chosen;
  ClusterCandidate fastest;             // `fast`: the most tasks that still help
  ClusterCandidate cheapest;            // `cheap`: the fewest
  bool feasible = true;                 // some candidate meets the SLO
  std::vector<ClusterCandidate> curve;  // one per distinct task count, fewest first
};

// `splits[i]` is the frames each task reads (warm-up included) when the job is split for
// i + 1 tasks; a split with as many tasks as an earlier one is the same candidate.
// objective: "slo" (the cheapest predicted to meet slo_s, else the fastest), "fast", "cheap".
ClusterPlan plan_cluster(const ClusterModel& model, const std::vector<std::vector<int64_t>>& splits,
                         const std::string& objective, std::optional<double> slo_s);

// One candidate's prediction: tasks start in waves of tasks_at_once, longest first, each on
// the slot that frees up first.
ClusterCandidate predict(const ClusterModel& model, const std::vector<int64_t>& frames);

}  // namespace llama::cluster
