#include "profile/profiler.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <tuple>

#include "base/error.h"
#include "profile/prune.h"
#include "profile/stats.h"
#include "video/video_probe.h"

namespace llama::profile {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A config stops once its mean is known this well (95% interval half-width / mean).
constexpr double kStableFraction = 0.05;
constexpr int64_t kMinRuns = 3;
// A cap for ops so cheap that their noise never settles: beyond this the mean is known far
// better than the planner needs.
constexpr int64_t kMaxRuns = 500;
// The least time a config is given, however cheap its op: a share in proportion to cost
// would give a 1 ms op a few ms, too little for the warm-up and 3 runs of a cold decoder.
constexpr double kMinConfigShareS = 0.2;
// The least time a config is timed before its mean counts as known: a sub-millisecond op
// reaches a 5% interval within a handful of runs that all land in one lull or one burst of
// this shared machine's load; 0.25 s of them spans both (bench-predictions: motion's error
// came from such means).
constexpr double kMinTimedS = 0.25;
// Each entry is timed in this many slices, one per pass over all the ops (see measure_all).
constexpr int kPasses = 3;
// Outputs of timed invocations kept alive at a time: a detector's largest batch, and then some.
constexpr size_t kHeldItems = 8;
// The capture reads the source at this many points spread through the video (capture_starts).
constexpr int kCaptureSegments = 4;

// Reads every cache line of the items' pixels and masks. In a pipeline an op gets items its
// producer has just written, hot in the cache; the captured items the profiler cycles
// through would otherwise be hot or cold by chance, and a cheap op that reads whole frames
// (motion) is timed as much on that as on its own work.
void warm(const std::vector<ops::Item>& items) {
  unsigned sum = 0;
  for (const ops::Item& item : items) {
    if (item.frame)
      for (size_t i = 0; i < item.frame->rgb.size(); i += 64) sum += item.frame->rgb[i];
    if (item.mask)
      for (size_t i = 0; i < item.mask->size(); i += 16) sum += (*item.mask)[i] > 0;
  }
  // The sum goes somewhere the compiler must write, so the reads stay.
  static std::atomic<unsigned> sink;
  sink.store(sum, std::memory_order_relaxed);
}

// Sinks and encoders write somewhere; while profiling that is a private folder, removed at
// the end whatever happens.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "llama-profile-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
      throw Error(ExitCode::output, "cannot make a temporary folder under " +
                                        fs::temp_directory_path().string() +
                                        " for the outputs of sinks while profiling (set TMPDIR "
                                        "to a writable folder)");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

bool cancelled(const ProfileOptions& o) {
  return o.cancel && o.cancel->load();
}

std::string what_of(const std::exception& e) {
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

// The first video's stream info (what the profile is measured on).
video::VideoInfo probe(const std::vector<std::string>& videos) {
  if (videos.empty()) video::probe_inputs(videos);  // throws, naming --input
  return video::probe_inputs({videos.front()}).front();
}

std::string frame_size_of(const video::VideoInfo& info) {
  return std::to_string(info.width) + "x" + std::to_string(info.height);
}

class Profiler {
 public:
  Profiler(const graph::Pipeline& pipeline, const ops::OpRegistry& registry, ProfileStore& store,
           const ProfileOptions& options)
      : pipeline_(pipeline), registry_(registry), store_(store), options_(options) {
    for (const spec::ModelSpec& m : pipeline.spec.models) models_[m.name] = m;
  }

  ProfileResult run() {
    start_ = Clock::now();
    deadline_ = start_ + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(options_.budget_s));
    std::vector<std::string> notes;
    video::VideoInfo video = probe(options_.videos);
    video_duration_s_ = video.duration_s;
    targets_ = profile_targets(pipeline_, frame_size_of(video), options_.cuda, &notes);
    for (const std::string& n : notes)
      if (options_.on_info) options_.on_info(n);

    for (const OpTarget& t : targets_) {
      OpOutcome o;
      o.name = t.op->name;
      o.kind = t.op->kind;
      o.configs = static_cast<int>(t.configs.size());
      o.error = t.error;
      result_.ops.push_back(o);
    }

    if (needs_capture()) {
      capture();
      result_.captured = true;
      save_rates();
      store_.save();
    }
    measure_all();
    if (cancelled(options_)) result_.interrupted = true;
    result_.wall_s = seconds_since(start_);
    for (const OpOutcome& o : result_.ops) {
      result_.measured += o.measured;
      result_.cached += o.cached;
    }
    return result_;
  }

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

  bool needs_capture() {
    if (options_.force) return true;
    for (const OpTarget& t : targets_) {
      if (!t.error.empty()) continue;
      if (!is_source(t) && !store_.find_fanout(op_key(t))) return true;
      if (t.op->when && !store_.find_branch(op_key(t))) return true;
      bool missing = false;
      walk(t, [&](const Config&, const LatencyStats* known) -> std::optional<double> {
        if (!known) {
          missing = true;
          return std::nullopt;
        }
        return known->mean_ms;
      });
      if (missing) return true;
    }
    return false;
  }

  // --- Capture: one sequential pass at the first configs.

  std::unique_ptr<ops::Op> build(const OpTarget& t, const Config& config) {
    ops::OpContext ctx{t.op, config, options_.videos, temp_.path(), models_};
    return registry_.create(t.op->kind, ctx);
  }

  // Where the capture reads the source from: the sample split over kCaptureSegments points
  // spread through the video, so the ops downstream are timed on items from all of it. The
  // content moves their cost: blurring face_blur's faces took 2.0-3.4 ms a frame over the
  // first 20 frames of Megamind.avi, and 2.9-7.6 ms (means of 30 frames) through all of it.
  // Only for decode reading one video with no start or end of its own; otherwise the sample
  // is the first frames.
  std::vector<double> capture_starts(const OpTarget& t) const {
    if (t.op->kind != "decode" || options_.videos.size() != 1 || t.op->params.count("start") ||
        t.op->params.count("end") || video_duration_s_ <= 0)
      return {0};
    std::vector<double> starts;
    for (int k = 0; k < kCaptureSegments; ++k)
      starts.push_back(video_duration_s_ * k / kCaptureSegments);
    return starts;
  }

  // The source at `config`, reading its input from `start_s` on (decode's `start` param).
  std::unique_ptr<ops::Op> build_from(const OpTarget& t, const Config& config, double start_s) {
    spec::OpSpec& at = segment_specs_.emplace_back(*t.op);
    at.params["start"] =
        spec::Param{std::to_string(std::llround(start_s * 1000)) + "ms", t.op->where};
    ops::OpContext ctx{&at, config, options_.videos, temp_.path(), models_};
    return registry_.create(t.op->kind, ctx);
  }

  void capture() {
    std::map<int, std::vector<ops::Item>> out_of;  // node -> items it made
    for (size_t i = 0; i < targets_.size(); ++i) {
      const OpTarget& t = targets_[i];
      Capture& cap = captures_[t.node];
      const graph::Node& node = pipeline_.graph.nodes()[t.node];
      // Route what upstream made, through this op's `when:`.
      BranchRate branch;
      for (int e : node.in_edges)
        for (const ops::Item& item : out_of[pipeline_.graph.edges()[e].from]) {
          ++branch.seen;
          if (t.op->when &&
              !t.op->when->eval([&](const std::string& f) { return ops::item_field(item, f); }))
            continue;
          ++branch.taken;
          cap.in.push_back(item);
        }
      std::stable_sort(cap.in.begin(), cap.in.end(), [](const ops::Item& a, const ops::Item& b) {
        return std::tie(a.video, a.frame_index) < std::tie(b.video, b.frame_index);
      });
      if (t.op->when) branches_[t.node] = branch;
      for (int e : node.in_edges) {
        const Capture& up = captures_[pipeline_.graph.edges()[e].from];
        if (cap.in.empty() && !up.error.empty()) cap.failed_upstream = op_name(e);
        if (cap.in.empty() && !up.failed_upstream.empty()) cap.failed_upstream = up.failed_upstream;
      }
      if (!t.error.empty() || t.configs.empty()) {
        cap.error = t.error.empty() ? "no config can run here" : t.error;
        continue;
      }
      if (cancelled(options_)) return;
      if (options_.on_progress)
        options_.on_progress({t.op->name, t.configs.front(), seconds_left()});

      std::vector<ops::Item>& out = out_of[t.node];
      std::vector<double> per_item;  // fan-out of each item
      std::vector<double> runs_ms;   // each invocation's time
      try {
        std::unique_ptr<ops::Op> op = build(t, t.configs.front());
        auto t0 = Clock::now();
        if (is_source(t)) {
          size_t want = static_cast<size_t>(std::max(1, options_.sample));
          size_t batch = static_cast<size_t>(batch_of(t.configs.front()));
          std::vector<double> starts = capture_starts(t);
          for (size_t k = 0; k < starts.size() && out.size() < want; ++k) {
            if (k > 0) {
              std::vector<ops::Item> none;
              op->finish(none);
              op = build_from(t, t.configs.front(), starts[k]);
            }
            size_t until = want * (k + 1) / starts.size();  // this segment's part of the sample
            bool first = true;
            while (out.size() < until) {
              size_t ask = std::min(batch, until - out.size());
              auto r0 = Clock::now();
              bool more = op->produce(ask, out);
              // A later segment's first call opens the video and seeks: a warm-up, like the
              // first call of all (which keep_capture_timings drops).
              if (ask == batch && (k == 0 || !first)) runs_ms.push_back(seconds_since(r0) * 1000);
              first = false;
              if (!more) break;
            }
          }
          if (out.size() > want) out.resize(want);
        } else {
          for (const ops::Item& item : cap.in) {
            if (cancelled(options_)) break;  // Ctrl-C: the run is over, fan-out or not
            std::vector<ops::Item> one{item};
            size_t before = out.size();
            auto r0 = Clock::now();
            op->process(one, out);
            runs_ms.push_back(seconds_since(r0) * 1000);
            per_item.push_back(static_cast<double>(out.size() - before));
          }
        }
        keep_capture_timings(t, runs_ms);
        size_t before = out.size();
        op->finish(out);
        // What an op holds until the end (a window's count) is fan-out of the items before
        // it: charge it to the last one, which keeps the mean right.
        if (!per_item.empty()) per_item.back() += static_cast<double>(out.size() - before);
        cap.first_cost_s = seconds_since(t0);
      } catch (const std::exception& e) {
        cap.error = what_of(e);
        note("op '" + t.op->name + "' failed at " + format_config(t.configs.front()) +
             " while capturing its items: " + cap.error);
        out.clear();
      }
      for (ops::Item& item : out) item.producer = &t.op->name;
      if (!is_source(t)) {
        LatencyStats s = compute_stats(per_item);  // the same summary, of counts
        fanouts_[t.node] =
            cap.in.empty() ? FanoutRecord{1, 1, 0} : FanoutRecord{s.mean_ms, s.p95_ms, s.n};
      }
    }
  }

  // The capture's invocations are real invocations of the first config on the real items,
  // in order, on a fresh instance: after the first (the warm-up) they are a measurement of
  // that config at the batch they ran at (a source's batch; one item for the others), so
  // they stand as that entry's first slice and the passes after the first add to them. On a
  // slow machine this is what keeps the capture from eating the budget for nothing. An op
  // whose capture runs add up to less than kMinTimedS is timed in the first pass as well,
  // since so few runs of a cheap op, each between other ops' invocations, gave motion
  // 0.5-0.75 ms against 0.4 ms in a run.
  void keep_capture_timings(const OpTarget& t, const std::vector<double>& runs_ms) {
    if (runs_ms.size() < 2) return;
    double total_ms = 0;
    for (double ms : runs_ms) total_ms += ms;
    const Config& first = t.configs.front();
    const Config* ran = nullptr;
    if (is_source(t) || batch_of(first) == 1) {
      ran = &first;
    } else {
      for (const Config& c : t.configs)
        if (batch_of(c) == 1 && without_batch(c) == without_batch(first)) ran = &c;
    }
    if (!ran) return;  // one item at a time is not a batch size this op may run at
    EntryKey key = entry_key(t, *ran);
    if (!options_.force && store_.find(key)) return;
    std::vector<double>& samples = samples_[{t.node, key}];
    samples.assign(runs_ms.begin() + 1, runs_ms.end());
    store_.put(key, compute_stats(samples));
    timed_keys_.insert(key);
    if (total_ms < kMinTimedS * 1000) retime_.insert({t.node, key});
  }

  void save_rates() {
    for (const OpTarget& t : targets_) {
      auto f = fanouts_.find(t.node);
      if (f != fanouts_.end()) store_.put_fanout(op_key(t), f->second);
      auto b = branches_.find(t.node);
      if (b != branches_.end()) store_.put_branch(op_key(t), b->second);
    }
  }

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
  void measure_all() {
    // What each op may spend over all the passes: the budget left after the capture, split
    // in proportion to the ops' first-config costs.
    double total_weight = 0;
    for (const OpTarget& t : targets_) total_weight += cost_weight(t);
    double budget = seconds_left();
    for (const OpTarget& t : targets_) op_share_[t.node] = budget * cost_weight(t) / total_weight;
    for (int pass = 0; pass < kPasses; ++pass) {
      if (pass > 0) {
        retime_.clear();
        for (const auto& [key, runs] : samples_) retime_.insert(key);
      }
      measure_pass();
      if (result_.interrupted || out_of_time_) break;
      ++result_.passes;
    }
    retime_.clear();
    finish_instances();
    count_outcomes();
    // The budget counts as spent only where it left an entry unmeasured: a last pass cut
    // short adds to means that stand anyway.
    int unmeasured = 0;
    for (size_t i = 0; i < targets_.size(); ++i)
      if (!told_no_items_.count(targets_[i].node)) unmeasured += result_.ops[i].skipped;
    result_.budget_spent = out_of_time_ && unmeasured > 0;
  }

  void measure_pass() {
    for (const OpTarget& t : targets_) {
      if (t.configs.empty() || !t.error.empty()) continue;
      const Capture* cap = captures_.count(t.node) ? &captures_[t.node] : nullptr;
      int to_measure = count_to_measure(t);
      std::set<Config>& failed_bases = failed_bases_[t.node];
      int tried = 0;
      walk(t, [&](const Config& c, const LatencyStats* known) -> std::optional<double> {
        if (known) return known->mean_ms;
        TimedKey key{t.node, entry_key(t, c)};
        // What an earlier pass (or the capture) measured stands wherever this pass cannot
        // time the config again.
        auto so_far = [&]() -> std::optional<double> {
          if (!samples_.count(key) || samples_[key].empty()) return std::nullopt;
          return store_.find(key.second)->mean_ms;
        };
        if (result_.interrupted || cancelled(options_)) {
          result_.interrupted = true;
          return so_far();
        }
        if (seconds_left() <= 0) {
          out_of_time_ = true;
          return so_far();
        }
        if (!is_source(t) && (!cap || cap->in.empty())) {
          if (told_no_items_.insert(t.node).second) {
            if (cap && !cap->failed_upstream.empty())
              note("op '" + t.op->name + "': not timed, since op '" + cap->failed_upstream +
                   "' upstream failed and no items reached it");
            else
              note("op '" + t.op->name + "': no items reached it in the " +
                   std::to_string(options_.sample) +
                   " sampled frames, so it was not timed (raise --sample)");
          }
          return std::nullopt;
        }
        if (failed_bases.count(without_batch(c))) {  // said once; other batches fail alike
          failed_.insert(key);
          return so_far();
        }
        // A config's allotment is set when it is first timed: an even part of what the op
        // has not yet given out, and each pass's slice of it a kPasses-th part.
        auto allot = allot_.find(key);
        if (allot == allot_.end()) {
          double left = std::max(0.0, op_share_[t.node] - allotted_[t.node]);
          double share = std::max(kMinConfigShareS, left / std::max(1, to_measure - tried));
          allotted_[t.node] += share;
          allot = allot_.emplace(key, share).first;
        }
        ++tried;
        std::string error;
        if (!time_slice(t, c, cap, allot->second / kPasses, key, error)) {
          failed_.insert(key);
          failed_bases.insert(without_batch(c));
          note("op '" + t.op->name + "' failed at " + format_config(c) + ": " + error);
          return so_far();
        }
        if (samples_[key].empty()) return std::nullopt;
        store_.put(key.second, compute_stats(samples_[key]));
        timed_keys_.insert(key.second);
        return store_.find(key.second)->mean_ms;
      });
      store_.save();
    }
  }

  // What the result says of each op, once every pass is done.
  void count_outcomes() {
    for (size_t i = 0; i < targets_.size(); ++i) {
      const OpTarget& t = targets_[i];
      OpOutcome& o = result_.ops[i];
      if (t.configs.empty()) continue;
      if (!t.error.empty()) {
        o.failed = o.configs;
        result_.failed_ops.push_back(t.op->name);
        note("op '" + t.op->name + "' cannot be profiled: " + t.error);
        continue;
      }
      o.pruned = walk(t, [&](const Config& c, const LatencyStats* known) -> std::optional<double> {
        TimedKey key{t.node, entry_key(t, c)};
        if (known) {
          ++(samples_.count(key) ? o.measured : o.cached);
          return known->mean_ms;
        }
        ++(failed_.count(key) ? o.failed : o.skipped);
        return std::nullopt;
      });
      if (o.failed > 0 && o.measured == 0 && o.cached == 0)
        result_.failed_ops.push_back(t.op->name);
    }
  }

  // The first-config cost from the capture; a floor so that an op too cheap to register
  // still gets a sliver of the budget.
  double cost_weight(const OpTarget& t) const {
    auto it = captures_.find(t.node);
    double cost = it == captures_.end() ? 0 : it->second.first_cost_s;
    return std::max(cost, 1e-3);
  }

  int count_to_measure(const OpTarget& t) {
    int n = 0;
    walk(t, [&](const Config&, const LatencyStats* known) -> std::optional<double> {
      if (known) return known->mean_ms;
      ++n;
      return std::nullopt;
    });
    return n;
  }

  // An op instance lives from pass to pass, so only its first invocation is a warm-up, and a
  // source reads on through its input instead of timing the same first seconds again.
  Instance& instance(const OpTarget& t, const Config& config, const TimedKey& key) {
    Instance& in = instances_[key];
    if (!in.op) {
      in.op = build(t, config);
      in.next = 0;
      in.warm = false;
    }
    return in;
  }

  void finish_instances() {
    for (auto& [key, in] : instances_) {
      try {
        std::vector<ops::Item> out;
        if (in.op) in.op->finish(out);  // close what sinks and encoders opened
      } catch (const std::exception& e) {
        note("op '" + pipeline_.graph.nodes()[key.first].op->name +
             "' failed while closing: " + what_of(e));
      }
    }
    instances_.clear();
  }

  // Keeps an invocation's outputs alive for a while, as the queues and batches downstream do
  // in a run. Freed at once, the next invocation's frame reuses their memory; in a run it
  // comes from fresh pages, and decoding vtest.avi to RGB took 1.11x as long a frame that
  // way (median of 15 alternating passes, 0.93-1.25x), which the profile missed.
  void hold(std::vector<ops::Item>& out) {
    for (ops::Item& item : out) held_.push_back(std::move(item));
    while (held_.size() > kHeldItems) held_.pop_front();
  }

  // Times one slice of one config, adding its runs to samples_[key]. Returns false (with
  // `error`) when the op throws.
  bool time_slice(const OpTarget& t, const Config& config, const Capture* cap, double share_s,
                  const TimedKey& key, std::string& error) {
    if (options_.on_progress) options_.on_progress({t.op->name, config, seconds_left()});
    std::vector<double>& samples = samples_[key];
    size_t batch = static_cast<size_t>(batch_of(config));
    // One invocation: a batch of captured items (cycling), or a source's produce(). Nothing
    // when a source's input is used up.
    auto run_once = [&](Instance& in) -> std::optional<double> {
      std::vector<ops::Item> out;
      if (is_source(t)) {
        auto t0 = Clock::now();
        bool more = in.op->produce(batch, out);
        double ms = seconds_since(t0) * 1000;
        if (out.empty() && !more) return std::nullopt;
        hold(out);
        return ms;
      }
      std::vector<ops::Item> items;
      for (size_t k = 0; k < batch; ++k) {
        items.push_back(cap->in[in.next]);
        in.next = (in.next + 1) % cap->in.size();
      }
      warm(items);
      auto t0 = Clock::now();
      in.op->process(items, out);
      double ms = seconds_since(t0) * 1000;
      hold(out);
      return ms;
    };
    // A timed invocation. A new instance's first one is a warm-up, not timed: first-touch
    // allocations, lazy model init, caches. A source at the end of its input starts again
    // on a new instance.
    auto invoke = [&]() -> std::optional<double> {
      for (int attempt = 0; attempt < 2; ++attempt) {
        Instance& in = instance(t, config, key);
        if (!in.warm) {
          in.warm = true;
          if (!run_once(in)) return std::nullopt;  // a source with nothing to read
        }
        if (std::optional<double> ms = run_once(in)) return ms;
        std::vector<ops::Item> out;
        in.op->finish(out);
        in.op.reset();
      }
      return std::nullopt;
    };
    try {
      auto slice_start = Clock::now();
      auto last_progress = slice_start;
      int64_t in_slice = 0;
      while (true) {
        if (cancelled(options_)) {
          result_.interrupted = true;
          break;
        }
        // An invocation that would end past the deadline is not started: --budget bounds
        // the whole profile, and the detector's batch of 8 takes a second.
        if (seconds_left() <= (samples.empty() ? 0.0 : samples.back() / 1000)) {
          out_of_time_ = true;
          break;
        }
        std::optional<double> ms = invoke();
        if (!ms) break;
        samples.push_back(*ms);
        ++in_slice;
        int64_t n = static_cast<int64_t>(samples.size());
        if (in_slice >= kMaxRuns / kPasses) break;
        double elapsed = seconds_since(slice_start);
        if (n >= kMinRuns) {
          if (elapsed >= std::min(kMinTimedS / kPasses, share_s) &&
              stable_within(compute_stats(samples), kStableFraction))
            break;
          if (elapsed >= share_s) break;
        } else if (elapsed + *ms / 1000 > 2 * share_s) {
          // Time does not allow 3 runs in this slice: one more would take this config past
          // twice its share, and every config after it would pay. A mean from 1-2 runs of a
          // slow invocation is still worth far more to the planner than none, and the next
          // passes add to it.
          break;
        }
        if (options_.on_progress && seconds_since(last_progress) > 0.25) {
          options_.on_progress({t.op->name, config, seconds_left()});
          last_progress = Clock::now();
        }
      }
    } catch (const std::exception& e) {
      error = what_of(e);
      instances_.erase(key);
      return false;
    }
    return true;
  }

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

}  // namespace

std::string probe_frame_size(const std::vector<std::string>& videos) {
  return frame_size_of(probe(videos));
}

ProfileResult profile_pipeline(const graph::Pipeline& pipeline, const ops::OpRegistry& registry,
                               ProfileStore& store, const ProfileOptions& options) {
  Profiler profiler(pipeline, registry, store, options);
  return profiler.run();
}

}  // namespace llama::profile
