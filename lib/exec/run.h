// One run of run_pipeline (executor.h), shared by the files that implement it: executor.cpp
// (the workers' loop), run_call.cpp (one invocation on a worker) and barrier.cpp
// (checkpoints). The decisions are the runtime core's (lib/runtime/core.h); this class owns
// what only a real run has: threads, op instances, the items themselves and real time.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "exec/executor.h"
#include "runtime/clock.h"
#include "runtime/core.h"

namespace llama::exec {

// One built op. An instance runs one invocation at a time; `op` is null while a worker
// builds it (outside the lock: loading a model takes a while).
struct Instance {
  std::string key;  // instance_key() of its config
  int threads = 0;  // the `threads` it runs at now (0: the op has no such knob)
  std::unique_ptr<ops::Op> op;
  bool busy = false;
  // Its first invocation pays for what libtorch sets up lazily (a CUDA context, cuDNN's
  // algorithm search: 3 s on an H200 against 9 ms warm). The profiler discards such warm-up
  // runs; so does the feedback, or one cold start would steer every later invocation away.
  bool warm = false;
};

// The items of a call the core started (runtime::Start::call), while a copy of it runs.
struct CallItems {
  std::vector<ops::Item> items;  // a source has none: it makes them
  int64_t seq = 0;               // the op's invocation number: results are routed in this order
};

struct NodeState {
  int op = -1;  // index into the job model; -1: the node does not run
  // Its waiting items, in the order of the core's queue of their deadlines (the core takes
  // from the front only).
  std::deque<ops::Item> queue;
  std::vector<std::unique_ptr<Instance>> instances;  // the first is built before the run
  bool finished = false;                             // finish() has run (or the node does not run)
  bool finishing = false;
  bool drained = false;  // at the checkpoint under way: drain() has run
  // Results are handed on in the order the invocations started: a parallel op's later batch
  // may finish first, and what is downstream (a tracker, a file) must see items in order.
  int64_t next_seq = 0;
  int64_t next_to_route = 0;
  std::map<int64_t, std::vector<ops::Item>> done;
  OpStats stats;
};

// Configs that differ only in batch or threads share instances: batch is the executor's
// business, and threads an instance changes with Op::set_threads. Anything else (device,
// input size) is another instance.
std::string instance_key(std::map<std::string, std::string> config);
// The config's `threads` (0: the op has no such knob).
int threads_of(const std::map<std::string, std::string>& config);

// Runs `body` (an op's code); what it throws becomes the run's failure code and a message that
// names the op.
template <typename Body>
std::pair<ExitCode, std::string> guarded(const OpStats& op, Body body) {
  try {
    body();
  } catch (const Error& e) {
    return {e.code(), e.what()};
  } catch (const std::exception& e) {
    return {ExitCode::runtime, "op '" + op.name + "' (" + op.kind + ") failed: " + e.what()};
  }
  return {ExitCode::ok, ""};
}

class Run {
 public:
  Run(const graph::Pipeline& pipeline, const ops::OpRegistry& registry, const ExecOptions& options,
      const plan::JobModel& model, const plan::Assignment& initial);
  RunResult run();

 private:
  using SteadyClock = std::chrono::steady_clock;

  // executor.cpp
  std::unique_ptr<ops::Op> build(int node, const std::map<std::string, std::string>& config);
  double now_s() const { return clock_.now_s(); }
  void work(int worker);
  int finishable() const;
  bool inputs_finished(int node) const;
  void finish(int node, std::unique_lock<std::mutex>& lock);
  void flush(int node, std::unique_lock<std::mutex>& lock,
             void (ops::Op::*step)(std::vector<ops::Item>&));
  bool all_finished() const;
  std::string stalled_ops() const;
  void stop(ExitCode code, const std::string& message);
  void report_progress();

  // run_call.cpp
  void run_call(const runtime::Start& start, int worker, std::unique_lock<std::mutex>& lock);
  Instance* acquire(NodeState& n, const plan::Choice& choice);
  void made_frames(int call, const std::vector<ops::Item>& out);
  double deadline_of(const ops::Item& item) const;
  void route(int node, std::vector<ops::Item>& out);

  // barrier.cpp
  bool checkpoint_due() const;
  void begin_checkpoint();
  int drainable() const;
  bool all_drained() const;
  void drain(int node, std::unique_lock<std::mutex>& lock);
  void commit_checkpoint();
  std::pair<ExitCode, std::string> save_checkpoint();
  void resume(const nlohmann::json& checkpoint);

  const graph::Pipeline& pipeline_;
  const graph::Graph& graph_;
  const ops::OpRegistry& registry_;
  const ExecOptions& options_;
  std::map<std::string, spec::ModelSpec> models_;
  runtime::SteadyClock clock_;  // since the job started: a resumed job's goes on
  runtime::Core core_;
  const plan::JobModel& estimates_;  // the core's
  std::vector<NodeState> nodes_;     // by graph node
  std::map<int, CallItems> calls_;   // by the core's call, while a copy of it runs
  int finishing_ = 0;
  std::map<std::pair<int, int64_t>, double> frame_deadline_;  // (video, frame) -> due
  std::mutex mutex_;
  std::condition_variable ready_;
  ExitCode failure_ = ExitCode::ok;
  std::string error_;
  SteadyClock::time_point start_;
  SteadyClock::time_point last_progress_;
  double core_s_ = 0;
  double gpu_s_ = 0;
  std::vector<InvocationRecord> records_;
  std::mt19937_64 rng_;  // for --fail, under the lock
  std::uniform_real_distribution<double> coin_{0.0, 1.0};
  // Checkpoints.
  bool barrier_ = false;  // one is under way: the sources wait for it
  double barrier_start_s_ = 0;
  double last_checkpoint_s_ = 0;
  int64_t checkpoint_frames_ = 0;  // frames made at the last one
  int64_t checkpoints_ = 0;
  double checkpoint_s_ = 0;
  double prior_wall_s_ = 0;  // resumed: the job's run time before this run
  nlohmann::json resumed_from_;
  std::pair<int, int64_t> last_item_{-1, -1};  // the last frame a source made
};

}  // namespace llama::exec
