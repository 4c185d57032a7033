// `llama profile`: measures what each op of a pipeline costs at each config on this machine,
// on the items it really sees, and the pipeline's fan-out and branch rates, into the store.
//
// How (DESIGN "Profiling"):
//  1. Capture. The pipeline runs once, sequentially, every op at its first config, on
//     `sample` frames the source emits, read at 4 points spread through the video (the
//     first frames, when the source is not decode of one video); each op keeps the items
//     that reached it (through `when:` like the executor routes them), so the detector is
//     timed on real frames and the tracker on real detections. Fan-out (items out per item
//     in) and branch rates (taken / seen per `when:`) come from this run, and so does the
//     first config's entry at the batch the capture ran it at (after a warm-up invocation).
//     The capture always runs to its end (bar Ctrl-C): without it nothing downstream can be
//     timed.
//  2. Measure. Each op, at each config of its knob space: one op instance, its first
//     invocation a warm-up discarded, then timed invocations on batches of the captured items
//     (cycling through them), or of produce() for a source, which reads on through its input.
//     The timing comes in 3 slices, one per pass over all the ops, so every entry's mean spans
//     the whole profile: this shared machine's speed moves by 20-40% within seconds. A slice
//     ends once the mean of all the config's runs is known within +-5% at 95% (after at least
//     a third of 0.25 s), or at its third of the config's share of the budget (at least 3 timed
//     runs, unless a 3rd would take the slice past twice its share). Batch sizes go in the
//     pipeline's order; after each one, configs that prune.h's rule drops are not measured at
//     the next.
//  3. Budget. What is left after the capture is split over the ops in proportion to their
//     first-config cost in the capture, and an op's share evenly over its configs as each is
//     first timed. When it is spent, or `cancel` is set, measuring stops; what was measured
//     is kept.
// Entries already in the store are not measured again (unless `force`); when nothing is
// missing the capture is skipped too, so a re-run costs only a video probe.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "ops/registry.h"
#include "profile/knob_space.h"
#include "profile/store.h"
#include "profile/targets.h"

namespace llama::profile {

// "768x576": the frame size of the first video. Throws Error(bad_input) like `llama run`.
std::string probe_frame_size(const std::vector<std::string>& videos);

struct Progress {
  std::string op;
  Config config;  // batch included
  double seconds_left = 0;
};

struct ProfileOptions {
  std::vector<std::string> videos;
  int sample = 20;  // frames from the source for the capture
  double budget_s = 60;
  bool force = false;  // measure entries the store already has
  bool cuda = false;
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(const Progress&)> on_progress;  // as each config starts, and while it runs
  std::function<void(const std::string&)> on_note;   // a config that failed, an op with no items
  std::function<void(const std::string&)> on_info;   // knob values left out of the knob space
};

struct OpOutcome {
  std::string name;
  std::string kind;
  int configs = 0;   // (config, batch) pairs in its knob space
  int measured = 0;  // measured by this run
  int cached = 0;    // already in the store
  int pruned = 0;    // dropped by the pruning rule
  int failed = 0;    // the op threw at that config
  int skipped = 0;   // left out: budget spent, interrupted, or no items reached the op
  std::string error;
};

struct ProfileResult {
  std::vector<OpOutcome> ops;
  int measured = 0;
  int cached = 0;
  bool captured = false;
  bool interrupted = false;
  bool budget_spent = false;  // the budget ran out with entries still unmeasured
  int passes = 0;  // timing passes over the ops that ran to their end (3, unless cut short)
  std::vector<std::string> failed_ops;  // failed at every config tried
  double wall_s = 0;
};

// Measures into `store` and saves it after every op, so an interrupted run keeps its work.
// Failures of ops are reported in the result (and on_note), never thrown; a store that
// cannot be saved throws.
ProfileResult profile_pipeline(const graph::Pipeline& pipeline, const ops::OpRegistry& registry,
                               ProfileStore& store, const ProfileOptions& options);

}  // namespace llama::profile
