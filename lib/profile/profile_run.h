// One run of profile_pipeline (profiler.h), shared by the files that implement it:
// profiler.cpp (the run, what each op still needs, the outcomes), profile_capture.cpp (the
// capture pass at the first configs) and profile_measure.cpp (the timed passes).
#pragma once

#include <algorithm>
#include <chrono>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "profile/profiler.h"
#include "profile/prune.h"
#include "profile/stats.h"

namespace llama::profile {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A config stops once its mean is known this well (95% interval half-width / mean).
inline constexpr double kStableFraction = 0.05;
inline constexpr int64_t kMinRuns = 3;
// A cap for ops so cheap that their noise never settles: beyond this the mean is known far
// better than the planner needs.
inline constexpr int64_t kMaxRuns = 500;
// The least time a config is given, however cheap its op: a share in proportion to cost
// would give a 1 ms op a few ms, too little for the warm-up and 3 runs of a cold decoder.
inline constexpr double kMinConfigShareS = 0.2;
// The least time a config is timed before its mean counts as known: a sub-millisecond op
// reaches a 5% interval within a handful of runs that all land in one lull or one burst of
// this shared machine's load; 0.25 s of them spans both (bench-predictions: motion's error
// came from such means).
inline constexpr double kMinTimedS = 0.25;
// Each entry is timed in this many slices, one per pass over all the ops (see measure_all).
inline constexpr int kPasses = 3;
// Outputs of timed invocations kept alive at a time: a detector's largest batch, and then some.
inline constexpr size_t kHeldItems = 8;
// The capture reads the source at this many points spread through the video (capture_starts).
inline constexpr int kCaptureSegments = 4;

// Sinks and encoders write somewhere; while profiling that is a private folder, removed at
// the end whatever happens.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline bool cancelled(const ProfileOptions& o) {
  return o.cancel && o.cancel->load();
}

inline std::string what_of(const std::exception& e) {
  return e.what();
}

// What the capture run learned about one op.
struct Capture {
  std::vector<ops::Item> in;    // the items that reached it, in frame order
  double first_cost_s = 0;      // its time at the first config: how the budget is split
  std::string error;            // it failed at its first config
  std::string failed_upstream;  // the op upstream whose failure left this one without items
};

// An op at one config, built once and timed in every pass.
struct Instance {
  std::unique_ptr<ops::Op> op;
  size_t next = 0;    // the next captured item to give it
  bool warm = false;  // its untimed first invocation is done
};

using TimedKey = std::pair<int, EntryKey>;  // graph node, store entry

class Profiler {
 public:
  Profiler(const graph::Pipeline& pipeline, const ops::OpRegistry& registry, ProfileStore& store,
           const ProfileOptions& options)
      : pipeline_(pipeline), registry_(registry), store_(store), options_(options) {
    for (const spec::ModelSpec& m : pipeline.spec.models) models_[m.name] = m;
  }

  ProfileResult run();

 private:
  OpKey op_key(const OpTarget& t) const { return {pipeline_.spec.name, t.op->name}; }
  bool is_source(const OpTarget& t) const {
    return pipeline_.graph.nodes()[t.node].in_edges.empty();
  }

  const std::string& op_name(int edge) const {
    return pipeline_.graph.nodes()[pipeline_.graph.edges()[edge].from].op->name;
  }

  void note(const std::string& line) {
    if (options_.on_note) options_.on_note(line);
  }

  // --- Which (config, batch) pairs an op still needs, given the store and the pruning rule.

  // Walks the op's batch sizes in the pipeline's order; `visit` is called for every pair
  // not pruned, with the store's mean when it has one (and not --force), and returns the
  // mean it measured (or nothing). Returns the number of pairs pruned.
  template <typename Visit>
  int walk(const OpTarget& t, Visit visit) {
    std::vector<int> batches;
    for (const Config& c : t.configs)
      if (std::find(batches.begin(), batches.end(), batch_of(c)) == batches.end())
        batches.push_back(batch_of(c));
    Measured measured;
    std::set<Config> dropped;
    int pruned = 0;
    for (int batch : batches) {
      for (const Config& c : t.configs) {
        if (batch_of(c) != batch) continue;
        Config base = without_batch(c);
        if (dropped.count(base)) {
          ++pruned;
          continue;
        }
        EntryKey key = entry_key(t, c);
        bool fresh = !options_.force || timed_keys_.count(key);  // measured by this run
        bool again = retime_.count({t.node, key}) > 0;
        const LatencyStats* known = fresh && !again ? store_.find(key) : nullptr;
        std::optional<double> mean = visit(c, known);
        if (mean) measured[base][batch] = *mean;
      }
      dropped = dominated(measured);
    }
    return pruned;
  }

  bool needs_capture();

  // --- Capture: one sequential pass at the first configs.

  std::unique_ptr<ops::Op> build(const OpTarget& t, const Config& config);

  // Where the capture reads the source from: the sample split over kCaptureSegments points
  // spread through the video, so the ops downstream are timed on items from all of it. The
  // content moves their cost: blurring face_blur's faces took 2.0-3.4 ms a frame over the
  // first 20 frames of Megamind.avi, and 2.9-7.6 ms (means of 30 frames) through all of it.
  // Only for decode reading one video with no start or end of its own; otherwise the sample
  // is the first frames.
  std::vector<double> capture_starts(const OpTarget& t) const;

  // The source at `config`, reading its input from `start_s` on (decode's `start` param).
  std::unique_ptr<ops::Op> build_from(const OpTarget& t, const Config& config, double start_s);

  void capture();

  // The capture's invocations are real invocations of the first config on the real items,
  // in order, on a fresh instance: after the first (the warm-up) they are a measurement of
  // that config at the batch they ran at (a source's batch; one item for the others), so
  // they stand as that entry's first slice and the passes after the first add to them. On a
  // slow machine this is what keeps the capture from eating the budget for nothing. An op
  // whose capture runs add up to less than kMinTimedS is timed in the first pass as well,
  // since so few runs of a cheap op, each between other ops' invocations, gave motion
  // 0.5-0.75 ms against 0.4 ms in a run.
  void keep_capture_timings(const OpTarget& t, const std::vector<double>& runs_ms);

  void save_rates();

  // --- Measure.

  double seconds_left() const {
    return std::max(0.0, std::chrono::duration<double>(deadline_ - Clock::now()).count());
  }

  // Every entry is timed in kPasses slices, one per pass over all the ops, so that its mean
  // spans the whole profile rather than a fraction of a second of it. This shared machine's
  // speed moves by 20-50% from one second to the next (libavcodec alone decoding vtest.avi
  // in a loop, one process: 0.39-0.60 ms a frame from one 0.3 s pass to the next); a run
  // lasts many seconds and averages that out, and an entry timed in one 0.25 s slice did not
  // (bench-predictions: 4 of 10 trials within issue 4's error targets).
  void measure_all();

  void measure_pass();

  // What the result says of each op, once every pass is done.
  void count_outcomes();

  // The first-config cost from the capture; a floor so that an op too cheap to register
  // still gets a sliver of the budget.
  double cost_weight(const OpTarget& t) const;

  int count_to_measure(const OpTarget& t);

  // An op instance lives from pass to pass, so only its first invocation is a warm-up, and a
  // source reads on through its input instead of timing the same first seconds again.
  Instance& instance(const OpTarget& t, const Config& config, const TimedKey& key);

  void finish_instances();

  // Keeps an invocation's outputs alive for a while, as the queues and batches downstream do
  // in a run. Freed at once, the next invocation's frame reuses their memory; in a run it
  // comes from fresh pages, and decoding vtest.avi to RGB took 1.11x as long a frame that
  // way (median of 15 alternating passes, 0.93-1.25x), which the profile missed.
  void hold(std::vector<ops::Item>& out);

  // Times one slice of one config, adding its runs to samples_[key]. Returns false (with
  // `error`) when the op throws.
  bool time_slice(const OpTarget& t, const Config& config, const Capture* cap, double share_s,
                  const TimedKey& key, std::string& error);

  const graph::Pipeline& pipeline_;
  const ops::OpRegistry& registry_;
  ProfileStore& store_;
  const ProfileOptions& options_;
  std::map<std::string, spec::ModelSpec> models_;
  TempDir temp_;
  Clock::time_point start_;
  Clock::time_point deadline_;
  std::vector<OpTarget> targets_;
  std::map<int, Capture> captures_;
  std::map<int, FanoutRecord> fanouts_;
  std::map<int, BranchRate> branches_;
  // Keyed by op and entry, since two ops of one kind (two trackers) share entries.
  std::map<TimedKey, std::vector<double>> samples_;  // every run this profile timed
  std::map<TimedKey, Instance> instances_;           // kept from pass to pass
  std::set<TimedKey> retime_;      // what the current pass times again: a short capture timing
                                   // in the first pass, everything timed in the later ones
  std::set<TimedKey> failed_;      // threw, or its config less batch did
  std::set<EntryKey> timed_keys_;  // entries this profile measured, by whichever op
  std::map<int, std::set<Config>> failed_bases_;  // node -> configs (less batch) that threw
  std::list<spec::OpSpec> segment_specs_;         // the source's spec at each capture start; ops
                                                  // keep a pointer to theirs
  double video_duration_s_ = 0;
  bool out_of_time_ = false;          // the deadline came before the last pass was done
  std::deque<ops::Item> held_;        // the last outputs, as a pipeline's queues hold them (hold())
  std::map<int, double> op_share_;    // node -> seconds it may spend, over all passes
  std::map<int, double> allotted_;    // node -> seconds of that given to its configs
  std::map<TimedKey, double> allot_;  // seconds a config may spend, over all passes
  std::set<int> told_no_items_;
  ProfileResult result_;
};

}  // namespace llama::profile
