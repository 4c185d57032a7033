// The executor: runs a checked pipeline on a pool of worker threads, every invocation decided
// by the runtime core (lib/runtime/core.h; DESIGN "During the run"): its scheduler picks which
// op runs next on the free cores and at which config, for the items' deadlines; its manager
// folds what each invocation took back into the estimates. A static run is the same thing
// with one config per op (plan::fixed_job_model and Objective::fixed).
//
// Items stream through queues the scheduler keeps short (sources wait while many items are
// waiting), so memory stays flat however long the video is. Ops that keep state run one
// invocation at a time; parallel ops get an instance per concurrent invocation (built on
// first use, per config), and their results are handed on in the order their items came, so
// a tracker downstream still sees frames in order.
//
// A failed invocation runs once more before the run stops: always when the failure was
// injected (before the op saw its items), and for a parallel op, which keeps no state
// between invocations, on a fresh instance (the failed one may be broken: a CUDA error).
// When that fails too, the config is set aside for the rest of the run and the items run at
// the cheapest config left that holds no more (a CUDA out-of-memory at batch 8 goes on at a
// smaller batch or on the CPU); the run stops only when no config is left.
// An op with state is not retried after a real failure: it may have half-applied the batch.
// A parallel op's invocation that runs past max(mean + 3 sd, 2 x mean) of its prediction
// (1 ms or more) gets a copy on a free worker; the first result is handed on, the other
// dropped, so nothing reaches the output twice. Both copies' time is paid for.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "graph/graph.h"
#include "ops/registry.h"
#include "plan/job_model.h"
#include "plan/planner.h"

namespace llama::exec {

// How far a run has got, for a progress line: reported after invocations, at most every
// `progress_every_s`.
struct RunProgress {
  int64_t frames = 0;  // items the sources have emitted
  double elapsed_s = 0;
  double core_s = 0;  // resources held so far: busy time x the config's cores
  double gpu_s = 0;
};

// One invocation as it ran, for --trace.
struct InvocationRecord {
  std::string op;
  std::string config;  // "{threads=2} b4"
  int items = 0;
  int worker = 0;      // the worker thread (a CPU slot) that ran it
  bool gpu = false;    // it held a GPU stream
  double start_s = 0;  // since the run started
  double end_s = 0;
  double slack_s = 0;     // what the allocator had (infinite: none, e.g. a source)
  double deadline_s = 0;  // earliest deadline of its items (infinite: none)
};

// An op's configs that --fail-config breaks: those of the op named `op` with every one of
// `knobs`' values (`batch` included).
struct BrokenConfig {
  std::string op;
  std::map<std::string, std::string> knobs;
};

struct ExecOptions {
  std::vector<std::string> videos;  // the job's inputs, in order
  std::string out_dir;
  // What the runtime schedules with: every op that runs, its configs and their predicted
  // latencies (plan::load_job_model / fixed_job_model); `initial` is the plan's choice per op.
  // The pool's cores are the worker threads.
  const plan::JobModel* model = nullptr;
  plan::Assignment initial;
  plan::Objective objective = plan::Objective::fixed;
  spec::LatencyTarget slo;                    // none: no deadlines (frames are due whenever)
  bool feedback = true;                       // the manager's online updates
  const std::atomic<bool>* cancel = nullptr;  // set (e.g. by SIGINT) to stop early
  // Called on a worker thread, under the run's lock: keep it short (print a line).
  std::function<void(const RunProgress&)> on_progress;
  double progress_every_s = 0.25;
  // Keep an InvocationRecord per invocation and the core's journal, for a replay (--trace).
  bool record_invocations = false;
  // A share (0..1) of invocations made to fail before they run, drawn from `seed`: the retry
  // path under test (llama run --fail, as llama simulate --fail).
  double inject_failures = 0;
  // A share of parallel ops' invocations, evenly spread, made to take five times their
  // predicted latency (a wait of 4x, at least 0.1 s, first): the straggler path under test
  // (llama run --straggle).
  double inject_stragglers = 0;
  // Configs whose every invocation fails once the op is built, as on a broken device: the
  // set-aside path under test (llama run --fail-config).
  std::vector<BrokenConfig> broken_configs;
  uint64_t seed = 1;
  // Checkpoints (checkpoint.h): every `checkpoint_every_s` of the run the sources pause, what
  // is in flight finishes, and the stateful ops' state is written with the results it covers
  // (a pause of about one invocation per op). 0: none.
  double checkpoint_every_s = 0;
  std::string checkpoint_path;
  nlohmann::json job;  // what identifies the job, written into each checkpoint
  // A checkpoint to continue from (read_checkpoint), or null.
  const nlohmann::json* resume_from = nullptr;
  // A cluster task's segment starts here; items before it only warm stateful ops up
  // (ops::OpContext::warmup_until_s). < 0: none.
  double warmup_until_s = -1;
};

struct OpStats {
  std::string name;
  std::string kind;
  std::map<std::string, std::string> config;  // the config it started at
  std::map<std::string, int64_t> configs;     // "{threads=2} b4" -> invocations at it
  int64_t invocations = 0;
  int64_t items_in = 0;
  int64_t items_out = 0;
  double busy_s = 0.0;  // summed invocation time
  double core_s = 0.0;  // busy time x cores held, per invocation's config
  double gpu_s = 0.0;
  size_t max_queue = 0;    // most items ever waiting for it
  int64_t retries = 0;     // invocations run again after they failed
  int64_t duplicates = 0;  // copies of stragglers (counted in invocations too)
  // Configs that failed even on a fresh instance and were given no invocation after, with
  // the error: "{device=cuda} b8" -> "op 'objects' (detect) failed: CUDA out of memory".
  std::map<std::string, std::string> set_aside;
  nlohmann::json summary;
};

struct RunResult {
  double wall_s = 0.0;
  bool complete = true;
  ExitCode failure = ExitCode::ok;  // why it stopped early, when it did
  std::string error;                // the message, naming the op
  std::vector<OpStats> ops;         // in the pipeline's order
  std::vector<ops::InputHealth> videos;
  std::vector<InvocationRecord> invocations;  // with ExecOptions::record_invocations
  nlohmann::json journal;                     // likewise: the runtime core's (runtime::replay)
  // Resumed: where the checkpoint was ({"frames", "video", "frame", "wall_s"}); null if not.
  // wall_s and the ops' counters above then cover the whole job, earlier runs included.
  nlohmann::json resumed_from;
  int64_t checkpoints = 0;
  double checkpoint_s = 0;  // wall time spent pausing for and writing them
  // Wall time of the scheduler's decisions (each one that started an invocation).
  int64_t decisions = 0;
  double decision_us_median = 0;
  double decision_us_p99 = 0;
};

// Never throws for failures inside ops: they stop the run and come back in RunResult, with
// the results made so far flushed. Without options.model, runs the static plan on a pool of
// 2 cores.
RunResult run_pipeline(const graph::Pipeline& pipeline, const ops::OpRegistry& registry,
                       const ExecOptions& options);

}  // namespace llama::exec
