// The scheduler (DESIGN "During the run"): which invocation starts next on the resources that
// are free, at which config, on how many items. It is asked again every time something
// finishes, so each invocation is configured when it is committed, with the estimates, the
// queues and the time left as they are then.
//
// Sources first when they hold several cores (they need them free at once), then every op
// deepest first (its items are closest to done; at equal depth the one that gains most from a
// GPU). A source emits while few items wait downstream. Any other op with items waiting gets a
// turn: the policies below run in order, each narrowing its config or making it wait, and the
// first op whose turn ends in a config starts.
//   within_slack     the allocator's config for the earliest deadline's slack (slack.h)
//   cost_bound       slo, parallel: near the plan's cost per item; on a full pool, the cheapest
//   run_ahead        slo, parallel: the cheapest call ahead of the frames' pace, if the job
//                    still ends by its SLO
//   fast_plan        fast, parallel: the fastest plan's config; the shortest call at the end
//   wait_for_faster  wait for a busy config over twice as fast an item (a GPU)
//   batching         wait for a fuller batch while that is safe: the one place that decides it
// An op that keeps state runs one invocation at a time; a parallel one as many as fit.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <vector>

#include "plan/job_model.h"
#include "plan/planner.h"
#include "runtime/slack.h"

namespace llama::runtime {

struct OpQueue {
  std::deque<double> deadlines;  // of its waiting items, in arrival order
  int running = 0;               // invocations of the op in flight
  bool source_done = false;      // a source that has emitted all its items
};

struct FreeResources {
  double cores = 0;
  int gpus = 0;
};

struct Decision {
  int op = -1;
  int choice = -1;
  int items = 0;          // taken from the front of its queue; for a source, to emit
  double slack_s = 0;     // what the allocator had (infinite for a source)
  double deadline_s = 0;  // the earliest deadline among the items taken
};

// What the scheduler sees when asked: the queues, what is free, the time.
struct View {
  const std::vector<OpQueue>& queues;
  FreeResources free;
  double now_s = 0;
  bool may_wait = true;  // false: no batching waits (nothing in flight brings items)
  size_t backlog = 0;    // items waiting in all queues
};

// One op's turn in next(), as the policies narrow it.
struct Turn {
  int op = -1;
  int waiting = 0;           // items in its queue
  double slack_s = 0;        // for the earliest deadline among them
  int choice = -1;           // the config it would start at
  std::vector<char> within;  // configs within the cost bound, by choice (empty: all)
  bool last = false;         // nothing more is coming to the op
  bool full_pool = false;    // the call takes the last core while work waits or is coming
  bool tail = false;         // fast: the job ends with this call
};

enum class Verdict { go_on, wait };  // wait: the op starts nothing this turn

struct SchedulerOptions {
  plan::Objective objective = plan::Objective::slo;
  bool delayed_batching = true;
  // Most items waiting in all queues before a source emits more; 0: twice the sum of every
  // op's largest batch, at least 16.
  int source_backlog = 0;
  // The job's deadline, after its start (the clock's zero). With it, a parallel op in slo
  // mode may run its cheapest calls ahead of the frames' pace while the job still ends in
  // time (run_ahead).
  spec::LatencyTarget slo;
};

class Scheduler {
 public:
  // `model` holds the estimates (the manager updates them between calls); `initial` is the
  // plan's assignment: sources keep theirs (a decoder's frame rate can not change mid-video),
  // the other ops start from it and move as the allocator decides.
  Scheduler(const plan::JobModel& model, plan::Assignment initial, SchedulerOptions options);

  // The next invocation to start at `now_s`, or nullopt when none can or should (everything
  // runs, waits for items, or waits to fill a batch). `may_wait` false forbids batching waits:
  // a caller that got nullopt with nothing in flight must ask again so, since then no items
  // are coming.
  std::optional<Decision> next(const std::vector<OpQueue>& queues, const FreeResources& free,
                               double now_s, bool may_wait = true);

  // `count` items reached `op` at `now_s`: the time between arrivals, for batching waits.
  void arrived(int op, int count, double now_s);

  const plan::Assignment& current() const { return current_; }

  // The policies, in the order next() runs them (public for their tests).
  Verdict within_slack(const View& v, Turn& t) const;
  Verdict cost_bound(const View& v, Turn& t) const;
  Verdict run_ahead(const View& v, Turn& t) const;
  Verdict fast_plan(const View& v, Turn& t) const;
  Verdict wait_for_faster(const View& v, Turn& t) const;
  Verdict batching(const View& v, Turn& t) const;
  // The turn next() would give `op` now, before any policy.
  Turn turn(const View& v, int op) const;

 private:
  bool fits(const View& v, const plan::Choice& c) const;
  // Only configs within the turn's cost bound (Turn::within) that fit what is free.
  std::function<bool(const plan::Choice&)> fits_within(const View& v, const Turn& t) const;
  // Bounds the turn's configs to kNear x the cost per item of choice `reference`.
  void bound_by(Turn& t, int reference) const;
  // run_ahead's call for `items` items: the cheapest within the bound, on the CPU; -1 if none
  // or the objective is not slo.
  int ahead_choice(const View& v, const Turn& t, int items) const;
  bool more_coming(const std::vector<OpQueue>& queues, int op) const;
  // Items to spare (negative: short of) by the job's deadline, if `op` starts a call of
  // config k on `items` items at start_s and its later calls take `later` items each: the
  // call must end in time (at 4 standard deviations; -infinity when it does not), and the
  // items still to come after it must fit the time the cores have left.
  double spare_items(int op, int k, int items, int later, double start_s, const OpQueue& q,
                     const FreeResources& free) const;
  // The time between two items reaching `op`, to size a batching wait. On a full pool the
  // core the op leaves free runs the ops upstream: the items come as fast as those make them
  // (the gaps seen while the op held every core are no guide).
  double arrival_s(int op, bool full_pool) const;

  const plan::JobModel& model_;
  SchedulerOptions options_;
  SlackModel slack_;
  plan::Assignment current_;   // the config each op last ran at
  plan::Assignment plan_;      // the plan's config of each op
  std::vector<int> order_;     // deepest first
  std::vector<double> gap_s_;  // smoothed time between arrivals, per op; 0 until known
  std::vector<double> last_arrival_s_;
  std::vector<std::set<int>> ancestors_;  // every op upstream of each op
  std::vector<double> taken_;             // items each op's invocations have taken so far
  std::vector<double> after_s_;           // the plan's latency (at its tail) downstream of each op
  std::vector<double> upstream_s_;  // the plan's time upstream of each op to make one of its items
  size_t backlog_cap_ = 16;
  // How far a source holding several cores runs ahead of the rest (see next()), in items
  // waiting at the narrow ops (`narrow_ops_`: parallel, with a config that holds fewer cores
  // than the pool): a batch for every core at their largest batch, two where the source
  // holds the whole pool; 0 when no op could use a core the source leaves idle.
  size_t wide_ahead_ = 0;
  std::vector<int> narrow_ops_;
};

}  // namespace llama::runtime
