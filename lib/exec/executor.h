// Executor v0: runs a checked pipeline with every op pinned to one config (the plan's, or the
// first value of each knob), on a pool of worker threads. Items stream through bounded queues, so memory stays
// flat however long the video is.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "graph/graph.h"
#include "ops/registry.h"

namespace llama::exec {

// How far a run has got, for a progress line: reported after invocations, at most every
// `progress_every_s`.
struct RunProgress {
  int64_t frames = 0;  // items the sources have emitted
  double elapsed_s = 0;
  double core_s = 0;  // resources held so far: busy time x the config's cores
  double gpu_s = 0;
};

struct ExecOptions {
  std::vector<std::string> videos;  // the job's inputs, in order
  std::string out_dir;
  // Op name -> the config it runs at (knob -> value, batch included), as the plan chose; an
  // op not named runs at the YAML's first knob values (first_config).
  std::map<std::string, std::map<std::string, std::string>> configs;
  int workers = 2;  // threads running invocations
  // Items an op may have waiting before its producers pause. Small: a 1080p frame is 6 MB,
  // and two workers never need more than a few items in hand to stay busy.
  size_t queue_capacity = 8;
  const std::atomic<bool>* cancel = nullptr;  // set (e.g. by SIGINT) to stop early
  // Called on a worker thread, under the run's lock: keep it short (print a line).
  std::function<void(const RunProgress&)> on_progress;
  double progress_every_s = 0.25;
};

struct OpStats {
  std::string name;
  std::string kind;
  std::map<std::string, std::string> config;
  int64_t invocations = 0;
  int64_t items_in = 0;
  int64_t items_out = 0;
  double busy_s = 0.0;   // summed invocation time
  size_t max_queue = 0;  // most items ever waiting for it: bounded by backpressure
  nlohmann::json summary;
};

struct RunResult {
  double wall_s = 0.0;
  bool complete = true;
  ExitCode failure = ExitCode::ok;  // why it stopped early, when it did
  std::string error;                // the message, naming the op
  std::vector<OpStats> ops;         // in the pipeline's order
  std::vector<ops::InputHealth> videos;
};

// The config v0 runs: the first allowed value of every knob the op declares.
std::map<std::string, std::string> first_config(const spec::OpSpec& op);

// Opens every input once before the run, so a bad file fails fast with its own error.
void check_inputs(const std::vector<std::string>& videos);

// Never throws for failures inside ops: they stop the run and come back in RunResult, with
// the results made so far flushed.
RunResult run_pipeline(const graph::Pipeline& pipeline, const ops::OpRegistry& registry,
                       const ExecOptions& options);

}  // namespace llama::exec
