#include "runtime/simulator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <queue>
#include <random>

#include "profile/knob_space.h"
#include "runtime/clock.h"

namespace llama::runtime {

namespace {

// A copy's draws: what the core does not keep.
struct Draw {
  int op = -1, choice = -1, call = -1;
  double start_s = 0;
  double seconds = 0;  // all its attempts
  double last_s = 0;   // the attempt under way
  bool fails = false;  // the attempt under way fails
};

struct Event {
  double t = 0;
  int64_t seq = 0;  // ties keep insertion order: deterministic
  int run = -1;
  bool straggler_check = false;  // only wakes the loop, which copies it if it still runs
  bool operator>(const Event& other) const { return t != other.t ? t > other.t : seq > other.seq; }
};

CoreOptions core_options(const SimOptions& options, spec::LatencyTarget slo) {
  CoreOptions core;
  core.scheduler = options.scheduler;
  core.scheduler.slo = slo;
  core.feedback = options.feedback;
  core.duplicate_stragglers = options.duplicate_stragglers;
  core.journal = options.journal;
  return core;
}

class Simulation {
 public:
  Simulation(const plan::JobModel& model, const plan::Assignment& initial, spec::LatencyTarget slo,
             const SimOptions& options)
      : truth_(model),
        options_(options),
        slo_(slo),
        core_(model, initial, clock_, core_options(options, slo)),
        consumers_(model.ops.size()),
        frames_(model.ops.size(), 0),
        emitted_(model.ops.size(), 0),
        out_carry_(model.ops.size(), 0),
        branch_carry_(model.ops.size(), 0),
        rng_(options.seed) {
    result_.slo = slo;
    for (size_t i = 0; i < model.ops.size(); ++i) {
      for (int up : model.ops[i].inputs) consumers_[up].push_back(static_cast<int>(i));
      if (model.ops[i].source) {
        frames_[i] =
            std::llround(model.video.frames * model.ops[i].choices[initial[i]].source_share);
        if (frames_[i] == 0) core_.source_done(static_cast<int>(i));
      }
      SimOpResult r;
      r.name = model.ops[i].name;
      result_.ops.push_back(r);
    }
  }

  SimResult run() {
    auto wall0 = std::chrono::steady_clock::now();
    while (true) {
      while (std::optional<Start> s = core_.next()) start(*s);
      if (events_.empty()) break;
      Event e = events_.top();
      events_.pop();
      clock_.advance_to(e.t);
      if (!e.straggler_check) finish(e.run);
    }
    result_.latency_s = clock_.now_s();
    result_.met = !slo_ || result_.latency_s <= slo_.seconds();
    for (size_t i = 0; i < truth_.ops.size(); ++i)
      if (!core_.queue(static_cast<int>(i)).deadlines.empty() ||
          (truth_.ops[i].source && emitted_[i] < frames_[i]))
        result_.met = false;  // stuck: no config of some op fits the pool
    std::vector<float>& decisions = core_.decision_us();
    if (!decisions.empty()) {
      auto mid = decisions.begin() + decisions.size() / 2;
      std::nth_element(decisions.begin(), mid, decisions.end());
      result_.decision_us_median = *mid;
      auto p99 = decisions.begin() + decisions.size() * 99 / 100;
      std::nth_element(decisions.begin(), p99, decisions.end());
      result_.decision_us_p99 = *p99;
    }
    result_.wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    if (options_.journal) result_.journal = core_.journal();
    return result_;
  }

 private:
  void start(const Start& s) {
    const plan::OpModel& op = truth_.ops[s.op];
    Draw d{s.op, s.choice, s.call, clock_.now_s()};
    int items = s.items;
    if (op.source) {
      int64_t n = std::min<int64_t>(s.items, frames_[s.op] - emitted_[s.op]);
      core_.made(s.call, n);
      emitted_[s.op] += n;
      if (emitted_[s.op] >= frames_[s.op]) core_.source_done(s.op);
      items = static_cast<int>(n);
    } else {
      d.fails = coin(options_.failure_rate);
    }
    if (s.copy) ++result_.duplicates;
    ++result_.invocations;
    d.last_s = d.seconds = draw_seconds(s.op, s.choice, items);
    push(d.start_s + d.seconds, s.run, false);
    if (d.seconds > s.straggler_at_s - d.start_s) push(s.straggler_at_s, s.run, true);
    if (draws_.size() <= static_cast<size_t>(s.run)) draws_.resize(s.run + 1);
    draws_[s.run] = d;
  }

  // What a copy held, paid from its start until now.
  void pay(int run) {
    const Draw& r = draws_[run];
    plan::Resources held = plan::held_on(truth_.ops[r.op].choices[r.choice], truth_.pool);
    plan::Cost spent =
        plan::cost_of(held, clock_.now_s() - r.start_s, truth_.prices, truth_.pool.gpu_name);
    result_.ops[r.op].cost += spent;
    result_.cost += spent;
  }

  void finish(int run) {
    if (core_.over(run)) return;  // a copy that lost, cancelled earlier
    Draw& d = draws_[run];
    const Draw& r = d;
    if (d.fails) {
      ++result_.failures;
      if (core_.failed(run)) {  // again, in place
        d.fails = coin(options_.failure_rate);
        d.last_s = draw_seconds(r.op, r.choice, core_.items(r.call));
        d.seconds += d.last_s;
        ++result_.invocations;
        push(clock_.now_s() + d.last_s, run, false);
      } else {
        pay(run);
      }
      return;
    }
    Core::Ended e = core_.ended(run, d.last_s, true);
    pay(run);
    if (e.cancel >= 0) {  // first result wins
      core_.cancel(e.cancel);
      pay(e.cancel);
    }
    if (e.delivered) deliver(r, d.seconds);
  }

  void deliver(const Draw& r, double seconds) {
    const plan::OpModel& op = truth_.ops[r.op];
    const plan::Choice& c = op.choices[r.choice];
    const std::vector<double>& deadlines = core_.deadlines(r.call);
    int64_t n = static_cast<int64_t>(deadlines.size());
    SimOpResult& stats = result_.ops[r.op];
    ++stats.invocations;
    stats.busy_s += seconds;
    stats.configs[profile::format_config(profile::without_batch(c.config)) + " b" +
                  std::to_string(c.batch)]++;

    int64_t out = n;
    if (!op.source) {
      stats.items_in += n;
      double factor = 1;
      if (options_.change.op == r.op && changed()) factor = options_.change.factor;
      out_carry_[r.op] += static_cast<double>(n) * op.fanout * factor;
      out = static_cast<int64_t>(std::floor(out_carry_[r.op] + 1e-9));
      out_carry_[r.op] -= static_cast<double>(out);
      core_.produced(r.op, n, out);
    }
    stats.items_out += out;
    if (consumers_[r.op].empty()) {
      result_.results += n;
      for (double deadline : deadlines) result_.late += clock_.now_s() > deadline + 1e-9;
    }

    std::vector<double> arriving;
    for (int to : consumers_[r.op]) {
      double rate = truth_.ops[to].branch_rate;
      branch_carry_[to] += static_cast<double>(out) * rate;
      int64_t taken = static_cast<int64_t>(std::floor(branch_carry_[to] + 1e-9));
      branch_carry_[to] -= static_cast<double>(taken);
      // Item j of the output comes from input item j * n / out, and keeps its deadline; the
      // taken ones are spread evenly over the output.
      arriving.clear();
      for (int64_t t = 0; t < taken; ++t) {
        int64_t j = t * out / std::max<int64_t>(1, taken);
        arriving.push_back(deadlines[std::min(n - 1, j * n / std::max<int64_t>(1, out))]);
      }
      core_.arrived(to, arriving, out);
    }
  }

  // Has the content change begun: the changed op's source has emitted its share of frames.
  bool changed() const {
    int64_t emitted = 0, frames = 0;
    for (size_t i = 0; i < truth_.ops.size(); ++i)
      if (truth_.ops[i].source) {
        emitted += emitted_[i];
        frames += frames_[i];
      }
    return frames > 0 && static_cast<double>(emitted) >= options_.change.from_share * frames;
  }

  // Log-normal with the profile's mean and stdev at this many items: latencies are positive
  // and skewed to the right, like measured ones.
  double draw_seconds(int op, int choice, int items) {
    if (options_.latency)
      if (double s = options_.latency(op, choice, items, rng_); s >= 0) return s;
    const plan::OpModel& m = truth_.ops[op];
    double mean = m.latency_ms_at(choice, items) / 1000;
    double cv = m.choices[choice].latency_ms > 0
                    ? m.choices[choice].stdev_ms / m.choices[choice].latency_ms
                    : 0;
    if (mean <= 0) return 0;
    if (cv <= 0) return mean;
    double sigma2 = std::log1p(cv * cv);
    std::lognormal_distribution<double> dist(std::log(mean) - sigma2 / 2, std::sqrt(sigma2));
    return dist(rng_);
  }

  bool coin(double p) {
    if (p <= 0) return false;
    return std::uniform_real_distribution<double>(0, 1)(rng_) < p;
  }

  void push(double t, int run, bool check) { events_.push(Event{t, seq_++, run, check}); }

  const plan::JobModel truth_;
  SimOptions options_;
  spec::LatencyTarget slo_;
  VirtualClock clock_;
  Core core_;
  std::vector<std::vector<int>> consumers_;
  std::vector<int64_t> frames_;       // per source: frames it will emit
  std::vector<int64_t> emitted_;      // per source
  std::vector<double> out_carry_;     // fractional items out, carried to the next invocation
  std::vector<double> branch_carry_;  // fractional items taken, likewise
  std::vector<Draw> draws_;           // by the core's run
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  int64_t seq_ = 0;
  std::mt19937_64 rng_;
  SimResult result_;
};

}  // namespace

SimResult simulate(const plan::JobModel& model, const plan::Assignment& initial,
                   spec::LatencyTarget slo, const SimOptions& options) {
  Simulation sim(model, initial, slo, options);
  return sim.run();
}

}  // namespace llama::runtime
