#include "plan/simulator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <queue>
#include <random>

#include "plan/clock.h"
#include "plan/manager.h"
#include "profile/knob_space.h"

namespace llama::plan {

namespace {

// One invocation in flight (or done): a duplicate is a second Running on the same items.
struct Running {
  int op = -1;
  int choice = -1;
  std::vector<double> deadlines;  // of its items; for a source, of the frames it emits
  double start_s = 0;
  double seconds = 0;  // drawn latency
  bool fails = false;
  int twin = -1;  // the other copy of a duplicated invocation
  bool done = false;
};

struct Event {
  double t = 0;
  int64_t seq = 0;  // ties keep insertion order: deterministic
  int run = -1;
  bool straggler_check = false;
  bool operator>(const Event& other) const { return t != other.t ? t > other.t : seq > other.seq; }
};

SchedulerOptions with_slo(SchedulerOptions options, double slo_s) {
  options.slo_s = slo_s;
  return options;
}

class Simulation {
 public:
  Simulation(const JobModel& model, const Assignment& initial, double slo_s,
             const SimOptions& options)
      : truth_(model),
        estimates_(model),
        options_(options),
        slo_s_(slo_s),
        lead_s_(estimate(model, initial).fill_s),
        manager_(estimates_),
        scheduler_(estimates_, initial, with_slo(options.scheduler, slo_s)),
        queues_(model.ops.size()),
        consumers_(model.ops.size()),
        frames_(model.ops.size(), 0),
        emitted_(model.ops.size(), 0),
        out_carry_(model.ops.size(), 0),
        branch_carry_(model.ops.size(), 0),
        rng_(options.seed) {
    free_ = {static_cast<double>(model.pool.cpus), model.pool.gpus};
    result_.slo_s = slo_s;
    for (size_t i = 0; i < model.ops.size(); ++i) {
      for (int up : model.ops[i].inputs) consumers_[up].push_back(static_cast<int>(i));
      if (model.ops[i].source)
        frames_[i] =
            std::llround(model.video.frames * model.ops[i].choices[initial[i]].source_share);
      SimOpResult r;
      r.name = model.ops[i].name;
      result_.ops.push_back(r);
    }
  }

  SimResult run() {
    auto wall0 = std::chrono::steady_clock::now();
    while (true) {
      dispatch();
      if (events_.empty()) break;
      Event e = events_.top();
      events_.pop();
      clock_.advance_to(e.t);
      if (e.straggler_check)
        check_straggler(e.run);
      else
        finish(e.run);
    }
    result_.latency_s = clock_.now_s();
    result_.met = result_.latency_s <= slo_s_;
    for (size_t i = 0; i < queues_.size(); ++i)
      if (!queues_[i].deadlines.empty() || (truth_.ops[i].source && emitted_[i] < frames_[i]))
        result_.met = false;  // stuck: no config of some op fits the pool
    if (!decisions_us_.empty()) {
      auto mid = decisions_us_.begin() + decisions_us_.size() / 2;
      std::nth_element(decisions_us_.begin(), mid, decisions_us_.end());
      result_.decision_us_median = *mid;
      auto p99 = decisions_us_.begin() + decisions_us_.size() * 99 / 100;
      std::nth_element(decisions_us_.begin(), p99, decisions_us_.end());
      result_.decision_us_p99 = *p99;
    }
    result_.wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    return result_;
  }

 private:
  void dispatch() {
    while (true) {
      auto t0 = std::chrono::steady_clock::now();
      std::optional<Decision> d = scheduler_.next(queues_, free_, clock_.now_s());
      // Waiting for a fuller batch needs something in flight to bring the items.
      if (!d && in_flight_ == 0) d = scheduler_.next(queues_, free_, clock_.now_s(), false);
      if (!d) break;
      decisions_us_.push_back(static_cast<float>(
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
              .count()));
      start(*d);
    }
  }

  void start(const Decision& d) {
    const OpModel& op = truth_.ops[d.op];
    OpQueue& q = queues_[d.op];
    Running r;
    r.op = d.op;
    r.choice = d.choice;
    if (op.source) {
      int64_t n = std::min<int64_t>(d.items, frames_[d.op] - emitted_[d.op]);
      for (int64_t j = 0; j < n; ++j)
        r.deadlines.push_back(Manager::frame_deadline_s(
            0, slo_s_, emitted_[d.op] + j, static_cast<double>(frames_[d.op]), lead_s_));
      emitted_[d.op] += n;
      if (emitted_[d.op] >= frames_[d.op]) q.source_done = true;
      if (n == 0) return;
    } else {
      r.deadlines.assign(q.deadlines.begin(), q.deadlines.begin() + d.items);
      q.deadlines.erase(q.deadlines.begin(), q.deadlines.begin() + d.items);
      r.fails = coin(options_.failure_rate);
    }
    ++q.running;
    launch(std::move(r));
  }

  // Holds the resources and schedules the end (and, for a straggler, the duplicate check).
  int launch(Running r) {
    const Choice& c = truth_.ops[r.op].choices[r.choice];
    int items = static_cast<int>(r.deadlines.size());
    Resources held = held_on(c, truth_.pool);
    free_.cores -= held.cores;
    free_.gpus -= held.gpus;
    ++in_flight_;
    ++result_.invocations;
    r.start_s = clock_.now_s();
    r.seconds = draw_seconds(r.op, r.choice, items);
    int id = static_cast<int>(runs_.size());
    push(r.start_s + r.seconds, id, false);
    if (options_.duplicate_stragglers && r.twin < 0 && !truth_.ops[r.op].source) {
      // The current estimate's mean, the profile's spread (a smoothed spread can shrink to
      // nothing on a steady stretch and then call every invocation a straggler).
      double mean = estimates_.ops[r.op].latency_ms_at(r.choice, items) / 1000;
      const Choice& profiled = truth_.ops[r.op].choices[r.choice];
      double sd = profiled.latency_ms > 0 ? profiled.stdev_ms / profiled.latency_ms * mean : 0;
      double threshold = Manager::straggler_after_s(mean, sd);
      if (r.seconds > threshold) push(r.start_s + threshold, id, true);
    }
    runs_.push_back(std::move(r));
    return id;
  }

  void release(int id) {
    Running& r = runs_[id];
    r.done = true;
    const Choice& c = truth_.ops[r.op].choices[r.choice];
    Resources held = held_on(c, truth_.pool);
    free_.cores += held.cores;
    free_.gpus += held.gpus;
    --in_flight_;
    Cost spent = cost_of(held, clock_.now_s() - r.start_s, truth_.prices, truth_.pool.gpu_name);
    result_.ops[r.op].cost += spent;
    result_.cost += spent;
  }

  void check_straggler(int id) {
    if (runs_[id].done || runs_[id].twin >= 0) return;
    const Choice& c = truth_.ops[runs_[id].op].choices[runs_[id].choice];
    Resources held = held_on(c, truth_.pool);
    if (held.cores > free_.cores || held.gpus > free_.gpus) return;
    Running copy;
    copy.op = runs_[id].op;
    copy.choice = runs_[id].choice;
    copy.deadlines = runs_[id].deadlines;
    copy.fails = coin(options_.failure_rate);
    copy.twin = id;
    int twin = launch(std::move(copy));
    runs_[id].twin = twin;
    ++result_.duplicates;
  }

  void finish(int id) {
    if (runs_[id].done) return;  // a duplicate that lost, cancelled earlier
    release(id);
    Running& r = runs_[id];
    bool twin_running = r.twin >= 0 && !runs_[r.twin].done;
    if (r.fails) {
      ++result_.failures;
      if (twin_running) return;  // the other copy may still deliver
      OpQueue& q = queues_[r.op];
      q.deadlines.insert(q.deadlines.begin(), r.deadlines.begin(), r.deadlines.end());
      --q.running;
      return;
    }
    if (twin_running) release(r.twin);  // first result wins
    --queues_[r.op].running;
    deliver(r);
  }

  void deliver(const Running& r) {
    const OpModel& op = truth_.ops[r.op];
    const Choice& c = op.choices[r.choice];
    int64_t n = static_cast<int64_t>(r.deadlines.size());
    SimOpResult& stats = result_.ops[r.op];
    ++stats.invocations;
    stats.busy_s += r.seconds;
    stats.configs[profile::format_config(profile::without_batch(c.config)) + " b" +
                  std::to_string(c.batch)]++;
    if (options_.feedback) manager_.observe_latency(r.op, r.choice, static_cast<int>(n), r.seconds);

    int64_t out = n;
    if (!op.source) {
      stats.items_in += n;
      double factor = 1;
      if (options_.change.op == r.op && changed()) factor = options_.change.factor;
      out_carry_[r.op] += static_cast<double>(n) * op.fanout * factor;
      out = static_cast<int64_t>(std::floor(out_carry_[r.op] + 1e-9));
      out_carry_[r.op] -= static_cast<double>(out);
      if (options_.feedback) manager_.observe_fanout(r.op, n, out);
    }
    stats.items_out += out;
    if (consumers_[r.op].empty()) {
      result_.results += n;
      for (double deadline : r.deadlines) result_.late += clock_.now_s() > deadline + 1e-9;
    }

    for (int to : consumers_[r.op]) {
      double rate = truth_.ops[to].branch_rate;
      branch_carry_[to] += static_cast<double>(out) * rate;
      int64_t taken = static_cast<int64_t>(std::floor(branch_carry_[to] + 1e-9));
      branch_carry_[to] -= static_cast<double>(taken);
      if (options_.feedback) manager_.observe_branch(to, taken, out);
      // Item j of the output comes from input item j * n / out, and keeps its deadline; the
      // taken ones are spread evenly over the output.
      for (int64_t t = 0; t < taken; ++t) {
        int64_t j = t * out / std::max<int64_t>(1, taken);
        queues_[to].deadlines.push_back(
            r.deadlines[std::min(n - 1, j * n / std::max<int64_t>(1, out))]);
      }
      scheduler_.arrived(to, static_cast<int>(taken), clock_.now_s());
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
    const OpModel& m = truth_.ops[op];
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

  const JobModel truth_;
  JobModel estimates_;
  SimOptions options_;
  double slo_s_;
  double lead_s_;  // the plan's fill: frame deadlines start after it (Manager::frame_deadline_s)
  Manager manager_;
  Scheduler scheduler_;
  VirtualClock clock_;
  FreeResources free_;
  std::vector<OpQueue> queues_;
  std::vector<std::vector<int>> consumers_;
  std::vector<int64_t> frames_;       // per source: frames it will emit
  std::vector<int64_t> emitted_;      // per source
  std::vector<double> out_carry_;     // fractional items out, carried to the next invocation
  std::vector<double> branch_carry_;  // fractional items taken, likewise
  std::vector<Running> runs_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  int64_t seq_ = 0;
  int in_flight_ = 0;
  std::mt19937_64 rng_;
  std::vector<float> decisions_us_;
  SimResult result_;
};

}  // namespace

SimResult simulate(const JobModel& model, const Assignment& initial, double slo_s,
                   const SimOptions& options) {
  Simulation sim(model, initial, slo_s, options);
  return sim.run();
}

}  // namespace llama::plan
