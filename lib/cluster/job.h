// A cluster job's life: submit every task as one `sbatch --array`, poll squeue until each has
// ended, resubmit a task that failed (up to `retries` times), cancel everything on a stop.
#pragma once

#include <atomic>
#include <functional>
#include <vector>

#include "cluster/manifest.h"
#include "cluster/merge.h"

namespace llama::cluster {

struct JobProgress {
  int pending = 0;
  int running = 0;
  int done = 0;
  int failed = 0;  // for good
  int retried = 0;
  int total = 0;
  double elapsed_s = 0;
};

struct WatchOptions {
  int retries = 2;  // resubmissions of a failed task
  double poll_s = 1.0;
  const std::atomic<bool>* cancel = nullptr;  // set: scancel every task and return
  std::function<void(const JobProgress&)> on_progress;
};

struct WatchResult {
  std::vector<TaskOutcome> outcomes;  // per task
  bool cancelled = false;
};

// Writes the batch script and the manifest, submits every task, and records the submission
// (job id, time) in the manifest. Throws Error(cluster) with sbatch's message.
void submit_job(Manifest& manifest);

// Returns once every task has finished or failed for good, or the cancel flag is set.
WatchResult watch_job(Manifest& manifest, const WatchOptions& options);

}  // namespace llama::cluster
