// The timed passes (profiler.h, steps 2 and 3): every config of every op, in slices over the
// passes, within the budget.
#include <algorithm>
#include <atomic>

#include "profile/profile_run.h"

namespace llama::profile {

namespace {

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

}  // namespace

void Profiler::measure_all() {
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

void Profiler::measure_pass() {
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

double Profiler::cost_weight(const OpTarget& t) const {
  auto it = captures_.find(t.node);
  double cost = it == captures_.end() ? 0 : it->second.first_cost_s;
  return std::max(cost, 1e-3);
}

int Profiler::count_to_measure(const OpTarget& t) {
  int n = 0;
  walk(t, [&](const Config&, const LatencyStats* known) -> std::optional<double> {
    if (known) return known->mean_ms;
    ++n;
    return std::nullopt;
  });
  return n;
}

Instance& Profiler::instance(const OpTarget& t, const Config& config, const TimedKey& key) {
  Instance& in = instances_[key];
  if (!in.op) {
    in.op = build(t, config);
    in.next = 0;
    in.warm = false;
  }
  return in;
}

void Profiler::finish_instances() {
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

void Profiler::hold(std::vector<ops::Item>& out) {
  for (ops::Item& item : out) held_.push_back(std::move(item));
  while (held_.size() > kHeldItems) held_.pop_front();
}

bool Profiler::time_slice(const OpTarget& t, const Config& config, const Capture* cap,
                          double share_s, const TimedKey& key, std::string& error) {
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
}  // namespace llama::profile
