// The capture (profiler.h, step 1): the pipeline once, sequentially, every op at its first
// config on the sampled frames; each op keeps the items that reached it, and the fan-out and
// branch rates come from here.
#include <algorithm>
#include <cmath>
#include <tuple>

#include "profile/profile_run.h"

namespace llama::profile {

std::unique_ptr<ops::Op> Profiler::build(const OpTarget& t, const Config& config) {
  ops::OpContext ctx{t.op, config, options_.videos, temp_.path(), models_};
  return registry_.create(t.op->kind, ctx);
}

std::vector<double> Profiler::capture_starts(const OpTarget& t) const {
  if (t.op->kind != "decode" || options_.videos.size() != 1 || t.op->params.count("start") ||
      t.op->params.count("end") || video_duration_s_ <= 0)
    return {0};
  std::vector<double> starts;
  for (int k = 0; k < kCaptureSegments; ++k)
    starts.push_back(video_duration_s_ * k / kCaptureSegments);
  return starts;
}

std::unique_ptr<ops::Op> Profiler::build_from(const OpTarget& t, const Config& config,
                                              double start_s) {
  spec::OpSpec& at = segment_specs_.emplace_back(*t.op);
  at.params["start"] =
      spec::Param{std::to_string(std::llround(start_s * 1000)) + "ms", t.op->where};
  ops::OpContext ctx{&at, config, options_.videos, temp_.path(), models_};
  return registry_.create(t.op->kind, ctx);
}

void Profiler::capture() {
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
    if (options_.on_progress) options_.on_progress({t.op->name, t.configs.front(), seconds_left()});

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

void Profiler::keep_capture_timings(const OpTarget& t, const std::vector<double>& runs_ms) {
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

void Profiler::save_rates() {
  for (const OpTarget& t : targets_) {
    auto f = fanouts_.find(t.node);
    if (f != fanouts_.end()) store_.put_fanout(op_key(t), f->second);
    auto b = branches_.find(t.node);
    if (b != branches_.end()) store_.put_branch(op_key(t), b->second);
  }
}
}  // namespace llama::profile
