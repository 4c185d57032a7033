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

// Configs this close to the plan's cost per item are as good for the job's throughput (see
// next()): people_count's detector at one frame a call is 1.7% dearer a frame than at 4.
constexpr double kNear = 1.1;

// Calls run ahead of the frames' pace (next()) are judged at this many standard deviations,
// not kTailSigmas: a wave of them can all end near the job's deadline, and the job misses it
// if any one overruns (on a simulated 64 cores, where latencies are drawn lognormal with a
// long right tail, 2 of 20 seeds did at kTailSigmas, 1 of 20 at 3).
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
  // A source that holds the whole pool runs only when every core is free: a batch ahead for
  // each core, then one more for each core that frees while the others still run (see
  // next()), and room in the backlog for them. On a larger pool it finds its cores free
  // often, and one batch a core within the usual cap will do: frames in flight cost memory
  // (a 1080p frame is 6 MB, and 8 frames for each of 64 cores would be 3 GB).
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
  double end_s = options_.slo_s - after_s_[op];
  double own_s = tail_s(m, k, items, kAheadSigmas);
  if (start_s + own_s > end_s) return -std::numeric_limits<double>::infinity();
  double left = std::max(static_cast<double>(q.deadlines.size()),
                         plan::expected_items_in(model_, current_)[op] - taken_[op]) -
                items;
  if (left <= 0) return 0;
  // Items one core gets through in `window` seconds: as many calls like this one (of `later`
  // items) as fit, then as many as fit of the CPU config that gets the most items through
  // the rest. Calls in a row are judged together: their spread is sqrt(calls) x one call's,
  // not calls x (judged call by call at 4 sd, 1.2 s held 2 of people_count's 325 ms calls
  // where 3 fit, and on a simulated 16 cores the detector ran one-frame calls at 1.2x the
  // cheap plan's cost for an SLO 10% looser than the cheap plan's latency).
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

std::optional<Decision> Scheduler::next(const std::vector<OpQueue>& queues,
                                        const FreeResources& free, double now_s, bool may_wait) {
  size_t backlog = 0;
  for (const OpQueue& q : queues) backlog += q.deadlines.size();
  auto fits = [&](const plan::Choice& c) {
    plan::Resources held = plan::held_on(c, model_.pool);
    return held.cores <= free.cores && held.gpus <= free.gpus;
  };

  auto source_may_emit = [&](int op) {
    const OpQueue& q = queues[op];
    return q.running == 0 && !q.source_done && backlog < backlog_cap_ &&
           fits(model_.ops[op].choices[current_[op]]);
  };
  auto emit = [&](int op) {
    return Decision{op, current_[op], model_.ops[op].choices[current_[op]].batch,
                    std::numeric_limits<double>::infinity(),
                    std::numeric_limits<double>::infinity()};
  };
  // A source that holds several cores can start only when that many are free at once, and
  // ops that take one core each keep that from happening: one of them starts on the first
  // free core, the next free core finds the source still too wide, and sits idle while the
  // queues run dry (face_blur's 2-thread decoder ran the pool half idle). Such a source goes
  // first whenever it fits, until the narrow ops have a batch waiting for every core, two
  // where it holds the whole pool: then it can not run again until every core is free, and
  // a core that frees while another still runs needs a batch too. One was not enough, nor
  // was counting the items past the narrow ops: face_blur's detector at batch 8 ran on one
  // core while the other sat idle, 9.5 s a run against 6.5 s now. No further: frames decoded
  // long before they are used are read from memory, not the cache (motion took 0.7 ms a
  // frame against 0.4 when the decoder ran 16 frames ahead).
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
    int waiting = static_cast<int>(q.deadlines.size());
    double deadline = q.deadlines.front();
    double slack = slack_.slack_s(op, deadline - now_s, current_);
    int k = options_.objective == plan::Objective::fixed
                ? (fits(m.choices[current_[op]]) ? current_[op] : -1)
                : choose_config(m, slack, options_.objective, model_, waiting, fits);
    if (k < 0) continue;
    // slo, a parallel op: the plan chose each op's config for the whole job on this pool,
    // and its cost per item is what the pool's throughput was planned on. A CPU config
    // dearer per item than the plan's (by over kNear) takes core-seconds the items behind
    // it need, and the job ends later: on a simulated 64 cores, people_count's detector took
    // 2-thread calls to fit the front frame's slack, filled the pool and starved the decoder
    // (0.94 s against a plan of 0.57 s). On a full pool (this call takes the last core while
    // other items wait or are on their way, or the items waiting need more cores than are
    // free) the bound is the cheapest per item: on 2 cores, 2-thread and one-frame calls
    // ran the job slower than the cheap plan. Within the bound: the cheapest config that
    // fits the slack, else the cheapest (the items are behind, and only throughput catches
    // up). Once nothing more is coming to the op, the job ends with these calls: no bound
    // while the pool has room for them, and when none fits, the shortest call (the cheapest
    // was a batch of 4, 4x as long as one frame a call, and ended a simulated job 0.34 s
    // past its SLO).
    std::vector<char> within;  // empty: every config
    auto is_within = [&](const plan::Choice& c) {
      return within.empty() || within[&c - m.choices.data()];
    };
    auto fits_within = [&](const plan::Choice& c) { return fits(c) && is_within(c); };
    auto bound_by = [&](int reference) {
      double cap = kNear * per_item_usd(m, reference, waiting, model_);
      within.resize(m.choices.size());
      for (size_t c = 0; c < m.choices.size(); ++c)
        within[c] = m.choices[c].held.gpus > 0 ||
                    per_item_usd(m, static_cast<int>(c), waiting, model_) <= cap;
    };
    bool full_pool = false;
    bool last = !more_coming(queues, op);
    if (options_.objective == plan::Objective::slo && m.parallel) {
      auto is_full = [&](int c) {
        int taken = std::min(waiting, m.choices[c].batch);
        double cores = plan::held_on(m.choices[c], model_.pool).cores;
        double calls = std::ceil(static_cast<double>(waiting) / std::max(1, taken));
        return m.choices[c].held.gpus == 0 &&
               (calls * cores > free.cores ||
                ((backlog > static_cast<size_t>(taken) || !last) && free.cores - cores < 1));
      };
      if (!last) bound_by(plan_[op]);
      k = choose_config(m, slack, plan::Objective::slo, model_, waiting, fits_within);
      if (k < 0) continue;
      if (last && tail_s(m, k, std::min(waiting, m.choices[k].batch)) > slack)
        k = shortest_call(m, waiting, fits);
      full_pool = is_full(k);
      if (full_pool) {
        bound_by(choose_config(m, slack, plan::Objective::cheap, model_, waiting, fits));
        k = choose_config(m, slack, plan::Objective::slo, model_, waiting, fits_within);
        if (k < 0) continue;
      }
    }
    // slo, a parallel op on the CPU with more items coming: the cheapest call within the
    // bound, when the job still ends in time with it (spare_items), even if it ends past
    // the front items' pace. The frames' pace is even, but a wide pool's work is not: on a
    // simulated 16 cores, people_count's detector keeps 15 calls in flight, and calls of 8
    // frames (8% cheaper a frame than 4) in the first wave, then shorter ones for the rest,
    // end the job in time at near the cheap plan's cost, where the pace chose batches of 4
    // throughout (1.08x the cheap plan's cost).
    auto ahead_of_pace = [&](int items) {
      if (options_.objective != plan::Objective::slo || !m.parallel || last || options_.slo_s <= 0)
        return -1;
      int c = choose_config(m, slack, plan::Objective::cheap, model_, items, fits_within);
      return c >= 0 && m.choices[c].held.gpus == 0 ? c : -1;
    };
    int ahead = ahead_of_pace(waiting);
    if (ahead >= 0 && ahead != k &&
        per_item_usd(m, ahead, waiting, model_) < per_item_usd(m, k, waiting, model_) &&
        spare_items(op, ahead, std::min(waiting, m.choices[ahead].batch), m.choices[ahead].batch,
                    now_s, q, free) >= 0)
      k = ahead;
    // fast: the fastest plan's config, which the planner chose for the whole job on this
    // pool. The allocator's least time per item is a throughput rule for one op alone:
    // people_count's detector on a simulated 64 cores took 2-thread calls, 1.2x as fast a
    // frame for 1.7x the core-seconds, filled the pool and starved the 2-thread decoder;
    // the job ended at 0.94 s against the plan's 0.57 s. Once nothing else waits or is on
    // its way, the job ends when these items do: the shortest call for them, no batching.
    bool tail = false;
    if (options_.objective == plan::Objective::fast && m.parallel) {
      int s = shortest_call(m, waiting, fits);
      tail = s >= 0 && backlog <= static_cast<size_t>(std::min(waiting, m.choices[s].batch)) &&
             !more_coming(queues, op);
      if (tail)
        k = s;
      else if (fits(m.choices[plan_[op]]) && !m.choices[plan_[op]].set_aside)
        k = plan_[op];
    }
    // What is free now may be far slower than what is busy (the CPU while another invocation
    // holds the GPU). Unless the free config meets the slack anyway, wait for the busy one
    // when running on what is free would take more than twice as long an item: the wait is
    // at most about one invocation of the busy config.
    if (may_wait && options_.objective != plan::Objective::fixed) {
      int ideal = choose_config(m, slack, options_.objective, model_, waiting, is_within);
      auto per_item_s = [&](int c) {
        int taken = std::max(1, std::min(waiting, m.choices[c].batch));
        return m.latency_ms_at(c, taken) / 1000 / taken;
      };
      bool meets_slack = options_.objective == plan::Objective::slo &&
                         tail_s(m, k, std::min(waiting, m.choices[k].batch)) <= slack;
      if (ideal >= 0 && ideal != k && !meets_slack && per_item_s(k) > 2 * per_item_s(ideal))
        continue;
    }
    // The config the allocator would pick with a full batch on hand: when it takes more
    // items than are waiting, wait for them if that is safe. On a full pool the wait costs
    // no core (the free one runs the upstream ops that bring the items), and a batch within
    // the plan's cost keeps pace: only the batch's own time bounds it, not the front item's
    // slack.
    if (options_.delayed_batching && may_wait && options_.objective != plan::Objective::fixed &&
        !tail && gap_s_[op] > 0 && more_coming(queues, op)) {
      int full = choose_config(m, slack, options_.objective, model_, 1 << 30, fits_within);
      int missing = full >= 0 ? m.choices[full].batch - waiting : 0;
      double batch_s = full >= 0 ? tail_s(m, full, m.choices[full].batch) : 0;
      double wait_limit_s = full_pool ? batch_s : slack - batch_s;
      // fast: the plan's batch, which the planner sized the job on, whatever the deadlines
      // say (an SLO below the fastest plan runs as fast does, and its deadlines all look
      // missed: one- and two-frame calls ran people_count on 2 simulated cores 7% slower).
      if (options_.objective == plan::Objective::fast && m.parallel && k == plan_[op]) {
        full = k;
        missing = m.choices[k].batch - waiting;
        wait_limit_s = std::numeric_limits<double>::infinity();
      }
      if (missing > 0 && missing * arrival_s(op, full_pool) <= wait_limit_s) continue;
      // Ahead of the pace (above), a fuller batch of the cheapest call is worth the wait when
      // it costs less an item than the call that would run now, and the job still ends in
      // time after it, or at least gets more through by its end than with calls like the
      // one that would run now. (Compared with the full batch the slack allows, the wait
      // was skipped when that was the same config: on a simulated 64 cores people_count's
      // detector ran calls of one and two frames at 1.1x the cheap plan's cost. Required to
      // end in time, it was skipped when the job was behind: on 2 simulated cores the
      // detector fell back to one-frame calls that fit the front frame's slack, 1.2x the
      // core-seconds a frame, and fell further behind.)
      if (int c = ahead_of_pace(1 << 30); c >= 0) {
        int more = m.choices[c].batch - waiting;
        int now_items = std::min(waiting, m.choices[k].batch);
        if (more > 0 && per_item_usd(m, c, 1 << 30, model_) < per_item_usd(m, k, waiting, model_)) {
          double spare = spare_items(op, c, m.choices[c].batch, m.choices[c].batch,
                                     now_s + more * arrival_s(op, full_pool), q, free);
          if (spare >= 0 || (std::isfinite(spare) &&
                             spare >= spare_items(op, k, now_items, now_items, now_s, q, free)))
            continue;
        }
      }
    }
    if (options_.objective == plan::Objective::fixed && options_.delayed_batching && may_wait &&
        gap_s_[op] > 0 && more_coming(queues, op)) {
      int missing = m.choices[k].batch - waiting;  // static plans batch as the YAML says
      if (missing > 0 && missing * gap_s_[op] + m.choices[k].latency_ms / 1000 <= slack) continue;
    }
    int take = std::min(waiting, m.choices[k].batch);
    for (int i = 1; i < take; ++i) deadline = std::min(deadline, q.deadlines[i]);
    current_[op] = k;
    taken_[op] += take;
    return Decision{op, k, take, slack, deadline};
  }
  return std::nullopt;
}

}  // namespace llama::runtime
