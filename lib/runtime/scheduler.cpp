#include "runtime/scheduler.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "runtime/allocator.h"
#include "runtime/manager.h"

namespace llama::runtime {

namespace {

// How much faster the op runs on a GPU than on the CPU, at its best of each (1 without a
// GPU config).
double gpu_affinity(const plan::OpModel& op) {
  double cpu = std::numeric_limits<double>::infinity(), gpu = cpu;
  for (const plan::Choice& c : op.choices) {
    double per_item = c.latency_ms / c.batch;
    if (c.held.gpus > 0)
      gpu = std::min(gpu, per_item);
    else
      cpu = std::min(cpu, per_item);
  }
  return std::isfinite(gpu) && std::isfinite(cpu) && gpu > 0 ? cpu / gpu : 1.0;
}

// The config whose call on the items waiting (up to its batch) ends soonest; ties: the
// least time per item. -1 when none fits.
int shortest_call(const plan::OpModel& op, int waiting,
                  const std::function<bool(const plan::Choice&)>& fits) {
  int best = -1;
  double best_s = 0, best_per_item = 0;
  for (int k = 0; k < static_cast<int>(op.choices.size()); ++k) {
    const plan::Choice& c = op.choices[k];
    if (c.set_aside || !fits(c)) continue;
    int taken = std::max(1, std::min(waiting, c.batch));
    double s = op.latency_ms_at(k, taken);
    if (best < 0 || s < best_s || (s == best_s && s / taken < best_per_item)) {
      best = k;
      best_s = s;
      best_per_item = s / taken;
    }
  }
  return best;
}

// Configs this close to the plan's cost per item are as good for the job's throughput
// (cost_bound): a detector's one-frame calls are often a few percent dearer a frame than 4.
constexpr double kNear = 1.1;

// Calls run ahead of the frames' pace (run_ahead) are judged at this many standard deviations,
// not kTailSigmas: a wave of them can all end near the job's deadline, and any one that
// overruns misses it.
constexpr double kAheadSigmas = 4;

// Calls in a row on one core: their summed mean and variance (their draws are independent).
struct Run {
  double mean_s = 0, var_s2 = 0;

  // Adds the most calls of mean `mu` and spread `sd` seconds for which the run still ends by
  // `window` at `sigmas` standard deviations, and returns how many: the largest n with
  // mean + n mu + sigmas sqrt(var + n sd^2) <= window, a root of a quadratic in n.
  double add_most(double mu, double sd, double window, double sigmas) {
    double room = window - mean_s, k2 = sigmas * sigmas;
    if (mu <= 0 || room <= 0 || room * room < k2 * var_s2) return 0;
    double b = 2 * room * mu + k2 * sd * sd;
    double disc = std::max(0.0, b * b - 4 * mu * mu * (room * room - k2 * var_s2));
    double n = std::floor((b - std::sqrt(disc)) / (2 * mu * mu) + 1e-9);
    auto ends_by = [&](double calls) {
      return mean_s + calls * mu + sigmas * std::sqrt(var_s2 + calls * sd * sd) <= window + 1e-12;
    };
    while (n > 0 && !ends_by(n)) --n;  // rounding
    n = std::max(0.0, n);
    mean_s += n * mu;
    var_s2 += n * sd * sd;
    return n;
  }
};

}  // namespace

Scheduler::Scheduler(const plan::JobModel& model, plan::Assignment initial,
                     SchedulerOptions options)
    : model_(model),
      options_(options),
      slack_(model),
      current_(initial),
      plan_(std::move(initial)),
      gap_s_(model.ops.size(), 0),
      last_arrival_s_(model.ops.size(), -1),
      ancestors_(model.ops.size()),
      taken_(model.ops.size(), 0),
      after_s_(model.ops.size(), 0),
      upstream_s_(model.ops.size(), 0) {
  std::vector<int> depth(model.ops.size(), 0);
  std::vector<double> affinity(model.ops.size(), 1);
  int batches = 0;
  for (size_t i = 0; i < model.ops.size(); ++i) {  // ops are in topological order
    for (int up : model.ops[i].inputs) {
      depth[i] = std::max(depth[i], depth[up] + 1);
      ancestors_[i].insert(up);
      ancestors_[i].insert(ancestors_[up].begin(), ancestors_[up].end());
    }
    affinity[i] = gpu_affinity(model.ops[i]);
    int largest = 1;
    for (const plan::Choice& c : model.ops[i].choices) largest = std::max(largest, c.batch);
    batches += largest;
    order_.push_back(static_cast<int>(i));
  }
  std::stable_sort(order_.begin(), order_.end(), [&](int a, int b) {
    return depth[a] != depth[b] ? depth[a] > depth[b] : affinity[a] > affinity[b];
  });
  backlog_cap_ = options.source_backlog > 0 ? static_cast<size_t>(options.source_backlog)
                                            : static_cast<size_t>(std::max(16, 2 * batches));
  int cores = std::max(1, model.pool.cpus);
  int narrow_batch = 0;
  double widest = 0;  // the most cores a source's config holds
  for (size_t i = 0; i < model.ops.size(); ++i) {
    const plan::OpModel& op = model.ops[i];
    bool narrow = false;
    for (const plan::Choice& c : op.choices) {
      double held = plan::held_on(c, model.pool).cores;
      if (op.source) widest = std::max(widest, held);
      if (op.parallel && !op.source && held < cores) {
        narrow_batch = std::max(narrow_batch, c.batch);
        narrow = true;
      }
    }
    if (narrow) narrow_ops_.push_back(static_cast<int>(i));
  }
  // A source that holds the whole pool runs only when every core is free: two batches ahead
  // for each core (one for a core that frees while the others run). On a larger pool one a
  // core will do: frames in flight cost memory (a 1080p frame is 6 MB).
  int rounds = widest >= cores ? 2 : 1;
  wide_ahead_ = static_cast<size_t>(rounds * narrow_batch * cores);
  if (rounds == 2 && options.source_backlog <= 0)
    backlog_cap_ = std::max(backlog_cap_, wide_ahead_ + static_cast<size_t>(2 * batches));
  wide_ahead_ = std::min(backlog_cap_, wide_ahead_);
  std::vector<double> items_in = plan::expected_items_in(model, plan_);
  for (size_t i = 0; i < model.ops.size(); ++i)
    for (int up : ancestors_[i]) {
      const plan::OpModel& u = model.ops[up];
      const plan::Choice& c = u.choices[plan_[up]];
      if (items_in[i] > 0)
        upstream_s_[i] += c.latency_ms / 1000 / c.batch * items_in[up] / items_in[i];
    }
  for (const std::vector<int>& path : model.paths) {
    double after = 0;
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
      after_s_[*it] = std::max(after_s_[*it], after);
      const plan::OpModel& o = model.ops[*it];
      after += tail_s(o, plan_[*it], o.choices[plan_[*it]].batch);
    }
  }
}

void Scheduler::arrived(int op, int count, double now_s) {
  if (count <= 0) return;
  if (last_arrival_s_[op] >= 0) {
    double gap = (now_s - last_arrival_s_[op]) / count;
    gap_s_[op] = gap_s_[op] == 0 ? gap : gap_s_[op] + Manager::kAlpha * (gap - gap_s_[op]);
  }
  last_arrival_s_[op] = now_s;
}

bool Scheduler::more_coming(const std::vector<OpQueue>& queues, int op) const {
  for (int up : ancestors_[op]) {
    const OpQueue& q = queues[up];
    if (q.running > 0 || !q.deadlines.empty()) return true;
    if (model_.ops[up].source && !q.source_done) return true;
  }
  return false;
}

double Scheduler::arrival_s(int op, bool full_pool) const {
  return full_pool ? std::min(gap_s_[op], upstream_s_[op]) : gap_s_[op];
}

double Scheduler::spare_items(int op, int k, int items, int later, double start_s, const OpQueue& q,
                              const FreeResources& free) const {
  const plan::OpModel& m = model_.ops[op];
  double end_s = options_.slo.seconds() - after_s_[op];
  double own_s = tail_s(m, k, items, kAheadSigmas);
  if (start_s + own_s > end_s) return -std::numeric_limits<double>::infinity();
  double left = std::max(static_cast<double>(q.deadlines.size()),
                         plan::expected_items_in(model_, current_)[op] - taken_[op]) -
                items;
  if (left <= 0) return 0;
  // Items one core gets through in `window` seconds: as many calls like this one (of `later`
  // items) as fit, then as many as fit of the CPU config that gets the most items through
  // the rest. Calls in a row are judged together: their spread is sqrt(calls) x one call's.
  const plan::Choice& c = m.choices[k];
  double cores = plan::held_on(c, model_.pool).cores;
  double later_s = m.latency_ms_at(k, later) / 1000;
  double later_sd = c.latency_ms > 0 ? c.stdev_ms / c.latency_ms * later_s : 0;
  auto per_core = [&](double window) {
    if (window <= 0) return 0.0;
    Run run;
    double calls = run.add_most(later_s, later_sd, window, kAheadSigmas);
    double extra = 0;
    for (const plan::Choice& o : m.choices) {
      if (o.set_aside || o.held.gpus > 0) continue;
      Run rest = run;
      double n = rest.add_most(o.latency_ms / 1000, o.stdev_ms / 1000, window, kAheadSigmas);
      extra = std::max(extra, n * o.batch / plan::held_on(o, model_.pool).cores);
    }
    return calls * later / cores + extra;
  };
  // This call's cores after it; the other free cores from the start; the cores the op's
  // running calls hold, from about halfway through a call. Cores other ops hold now are
  // not counted on: they may stay busy.
  const plan::Choice& now_at = m.choices[current_[op]];
  double running_cores = q.running * plan::held_on(now_at, model_.pool).cores;
  double running_s = m.latency_ms_at(current_[op], now_at.batch) / 1000;
  double room = cores * per_core(end_s - start_s - own_s) +
                std::max(0.0, free.cores - cores) * per_core(end_s - start_s) +
                running_cores * per_core(end_s - start_s - running_s / 2);
  return room - left;
}

using Policy = Verdict (Scheduler::*)(const View&, Turn&) const;
constexpr Policy kPolicies[] = {&Scheduler::within_slack,    &Scheduler::cost_bound,
                                &Scheduler::run_ahead,       &Scheduler::fast_plan,
                                &Scheduler::wait_for_faster, &Scheduler::batching};

std::optional<Decision> Scheduler::next(const std::vector<OpQueue>& queues,
                                        const FreeResources& free, double now_s, bool may_wait) {
  View v{queues, free, now_s, may_wait, 0};
  for (const OpQueue& q : queues) v.backlog += q.deadlines.size();
  auto source_may_emit = [&](int op) {
    const OpQueue& q = queues[op];
    return q.running == 0 && !q.source_done && v.backlog < backlog_cap_ &&
           fits(v, model_.ops[op].choices[current_[op]]);
  };
  auto emit = [&](int op) {
    return Decision{op, current_[op], model_.ops[op].choices[current_[op]].batch,
                    std::numeric_limits<double>::infinity(),
                    std::numeric_limits<double>::infinity()};
  };
  // A source that holds several cores starts only when that many are free at once, which ops
  // that take one core each keep from happening: it goes first while the narrow ops have
  // fewer than wide_ahead_ items waiting.
  size_t narrow_waiting = 0;
  for (int op : narrow_ops_) narrow_waiting += queues[op].deadlines.size();
  for (int op : order_)
    if (model_.ops[op].source && narrow_waiting < wide_ahead_ &&
        plan::held_on(model_.ops[op].choices[current_[op]], model_.pool).cores > 1 &&
        source_may_emit(op))
      return emit(op);

  for (int op : order_) {
    const OpQueue& q = queues[op];
    const plan::OpModel& m = model_.ops[op];
    if (q.running > 0 && !m.parallel) continue;
    if (m.source) {
      if (source_may_emit(op)) return emit(op);
      continue;
    }
    if (q.deadlines.empty()) continue;
    Turn t = turn(v, op);
    bool waits = false;
    for (Policy policy : kPolicies)
      if ((this->*policy)(v, t) == Verdict::wait) {
        waits = true;
        break;
      }
    if (waits) continue;
    int take = std::min(t.waiting, m.choices[t.choice].batch);
    double deadline = q.deadlines.front();
    for (int i = 1; i < take; ++i) deadline = std::min(deadline, q.deadlines[i]);
    current_[op] = t.choice;
    taken_[op] += take;
    return Decision{op, t.choice, take, t.slack_s, deadline};
  }
  return std::nullopt;
}

Turn Scheduler::turn(const View& v, int op) const {
  Turn t;
  t.op = op;
  t.waiting = static_cast<int>(v.queues[op].deadlines.size());
  t.slack_s = slack_.slack_s(op, v.queues[op].deadlines.front() - v.now_s, current_);
  t.last = !more_coming(v.queues, op);
  return t;
}

bool Scheduler::fits(const View& v, const plan::Choice& c) const {
  plan::Resources held = plan::held_on(c, model_.pool);
  return held.cores <= v.free.cores && held.gpus <= v.free.gpus;
}

std::function<bool(const plan::Choice&)> Scheduler::fits_within(const View& v,
                                                                const Turn& t) const {
  const plan::Choice* first = model_.ops[t.op].choices.data();
  return [this, &v, &t, first](const plan::Choice& c) {
    return fits(v, c) && (t.within.empty() || t.within[&c - first]);
  };
}

void Scheduler::bound_by(Turn& t, int reference) const {
  const plan::OpModel& m = model_.ops[t.op];
  double cap = kNear * per_item_usd(m, reference, t.waiting, model_);
  t.within.resize(m.choices.size());
  for (size_t c = 0; c < m.choices.size(); ++c)
    t.within[c] = m.choices[c].held.gpus > 0 ||
                  per_item_usd(m, static_cast<int>(c), t.waiting, model_) <= cap;
}

int Scheduler::ahead_choice(const View& v, const Turn& t, int items) const {
  const plan::OpModel& m = model_.ops[t.op];
  if (options_.objective != plan::Objective::slo || !m.parallel || t.last || !options_.slo)
    return -1;
  int c = choose_config(m, t.slack_s, plan::Objective::cheap, model_, items, fits_within(v, t));
  return c >= 0 && m.choices[c].held.gpus == 0 ? c : -1;
}

// The allocator's config for the slack (fixed: the config it runs at, if it fits).
Verdict Scheduler::within_slack(const View& v, Turn& t) const {
  const plan::OpModel& m = model_.ops[t.op];
  auto fit = [&](const plan::Choice& c) { return fits(v, c); };
  t.choice = options_.objective == plan::Objective::fixed
                 ? (fit(m.choices[current_[t.op]]) ? current_[t.op] : -1)
                 : choose_config(m, t.slack_s, options_.objective, model_, t.waiting, fit);
  return t.choice < 0 ? Verdict::wait : Verdict::go_on;
}

// slo, a parallel op: the plan sized the pool's throughput on its cost per item, so configs
// dearer than kNear x that take core-seconds the items behind need; on a full pool the bound
// is the cheapest. Once nothing more is coming, no bound, and the shortest call when none fits.
Verdict Scheduler::cost_bound(const View& v, Turn& t) const {
  const plan::OpModel& m = model_.ops[t.op];
  if (options_.objective != plan::Objective::slo || !m.parallel) return Verdict::go_on;
  auto fit = [&](const plan::Choice& c) { return fits(v, c); };
  auto is_full = [&](int c) {
    int taken = std::min(t.waiting, m.choices[c].batch);
    double cores = plan::held_on(m.choices[c], model_.pool).cores;
    double calls = std::ceil(static_cast<double>(t.waiting) / std::max(1, taken));
    return m.choices[c].held.gpus == 0 &&
           (calls * cores > v.free.cores ||
            ((v.backlog > static_cast<size_t>(taken) || !t.last) && v.free.cores - cores < 1));
  };
  if (!t.last) bound_by(t, plan_[t.op]);
  int k = choose_config(m, t.slack_s, plan::Objective::slo, model_, t.waiting, fits_within(v, t));
  if (k < 0) return Verdict::wait;
  if (t.last && tail_s(m, k, std::min(t.waiting, m.choices[k].batch)) > t.slack_s)
    k = shortest_call(m, t.waiting, fit);
  t.full_pool = is_full(k);
  if (t.full_pool) {
    bound_by(t, choose_config(m, t.slack_s, plan::Objective::cheap, model_, t.waiting, fit));
    k = choose_config(m, t.slack_s, plan::Objective::slo, model_, t.waiting, fits_within(v, t));
    if (k < 0) return Verdict::wait;
  }
  t.choice = k;
  return Verdict::go_on;
}

// slo, a parallel op on the CPU with more coming: a wide pool works in waves, so the cheapest
// call within the bound may end past the front items' pace as long as the job ends in time.
Verdict Scheduler::run_ahead(const View& v, Turn& t) const {
  const plan::OpModel& m = model_.ops[t.op];
  int ahead = ahead_choice(v, t, t.waiting);
  if (ahead >= 0 && ahead != t.choice &&
      per_item_usd(m, ahead, t.waiting, model_) < per_item_usd(m, t.choice, t.waiting, model_) &&
      spare_items(t.op, ahead, std::min(t.waiting, m.choices[ahead].batch), m.choices[ahead].batch,
                  v.now_s, v.queues[t.op], v.free) >= 0)
    t.choice = ahead;
  return Verdict::go_on;
}

// fast, a parallel op: the fastest plan's config, which the planner chose for the whole job on
// this pool; once nothing else waits or is coming, the shortest call.
Verdict Scheduler::fast_plan(const View& v, Turn& t) const {
  const plan::OpModel& m = model_.ops[t.op];
  if (options_.objective != plan::Objective::fast || !m.parallel) return Verdict::go_on;
  int s = shortest_call(m, t.waiting, [&](const plan::Choice& c) { return fits(v, c); });
  t.tail =
      s >= 0 && v.backlog <= static_cast<size_t>(std::min(t.waiting, m.choices[s].batch)) && t.last;
  if (t.tail)
    t.choice = s;
  else if (fits(v, m.choices[plan_[t.op]]) && !m.choices[plan_[t.op]].set_aside)
    t.choice = plan_[t.op];
  return Verdict::go_on;
}

// What is free may be far slower than what is busy (the CPU while another call holds the
// GPU): wait for the busy config, at most about one of its calls, unless the free one meets
// the slack anyway.
Verdict Scheduler::wait_for_faster(const View& v, Turn& t) const {
  if (!v.may_wait || options_.objective == plan::Objective::fixed) return Verdict::go_on;
  const plan::OpModel& m = model_.ops[t.op];
  const plan::Choice* first = m.choices.data();
  int ideal = choose_config(
      m, t.slack_s, options_.objective, model_, t.waiting,
      [&](const plan::Choice& c) { return t.within.empty() || t.within[&c - first]; });
  auto per_item_s = [&](int c) {
    int taken = std::max(1, std::min(t.waiting, m.choices[c].batch));
    return m.latency_ms_at(c, taken) / 1000 / taken;
  };
  int k = t.choice;
  bool meets_slack = options_.objective == plan::Objective::slo &&
                     tail_s(m, k, std::min(t.waiting, m.choices[k].batch)) <= t.slack_s;
  if (ideal >= 0 && ideal != k && !meets_slack && per_item_s(k) > 2 * per_item_s(ideal))
    return Verdict::wait;
  return Verdict::go_on;
}

// Safe delayed batching: wait for the items a fuller batch needs only while work upstream will
// bring them and the wait plus the batch still fits the slack (on a full pool, the wait costs
// no core and a batch within the plan's cost keeps pace: only the batch's time bounds it).
Verdict Scheduler::batching(const View& v, Turn& t) const {
  const plan::OpModel& m = model_.ops[t.op];
  int k = t.choice;
  if (!v.may_wait || !options_.delayed_batching || gap_s_[t.op] <= 0 || t.last)
    return Verdict::go_on;
  if (options_.objective == plan::Objective::fixed) {  // static plans batch as the YAML says
    int missing = m.choices[k].batch - t.waiting;
    return missing > 0 && missing * gap_s_[t.op] + m.choices[k].latency_ms / 1000 <= t.slack_s
               ? Verdict::wait
               : Verdict::go_on;
  }
  if (t.tail) return Verdict::go_on;
  int full = choose_config(m, t.slack_s, options_.objective, model_, 1 << 30, fits_within(v, t));
  int missing = full >= 0 ? m.choices[full].batch - t.waiting : 0;
  double batch_s = full >= 0 ? tail_s(m, full, m.choices[full].batch) : 0;
  double wait_limit_s = t.full_pool ? batch_s : t.slack_s - batch_s;
  // fast: the plan's batch, which the planner sized the job on, whatever the deadlines say.
  if (options_.objective == plan::Objective::fast && m.parallel && k == plan_[t.op]) {
    missing = m.choices[k].batch - t.waiting;
    wait_limit_s = std::numeric_limits<double>::infinity();
  }
  if (missing > 0 && missing * arrival_s(t.op, t.full_pool) <= wait_limit_s) return Verdict::wait;
  // Ahead of the pace (run_ahead), a fuller batch of the cheapest call is worth the wait when it
  // costs less an item than the call that would run now, and the job still ends in time after
  // it, or at least gets more through by its end than with calls like this one.
  if (int c = ahead_choice(v, t, 1 << 30); c >= 0) {
    int more = m.choices[c].batch - t.waiting;
    int now_items = std::min(t.waiting, m.choices[k].batch);
    if (more > 0 && per_item_usd(m, c, 1 << 30, model_) < per_item_usd(m, k, t.waiting, model_)) {
      const OpQueue& q = v.queues[t.op];
      double spare = spare_items(t.op, c, m.choices[c].batch, m.choices[c].batch,
                                 v.now_s + more * arrival_s(t.op, t.full_pool), q, v.free);
      if (spare >= 0 || (std::isfinite(spare) &&
                         spare >= spare_items(t.op, k, now_items, now_items, v.now_s, q, v.free)))
        return Verdict::wait;
    }
  }
  return Verdict::go_on;
}

}  // namespace llama::runtime
