// The scheduler (DESIGN "During the run"): which invocation starts next on the resources that
// are free, at which config, on how many items. It is asked again every time something
// finishes, so each invocation is configured when it is committed, with the estimates, the
// queues and the time left as they are then.
//
// - Priority: deeper ops first (their items are closest to done and their slack smallest;
//   finishing them frees room upstream); at equal depth, when a GPU is free, the op that
//   gains most from it (affinity).
// - Config: the allocator's, at the op's slack (slack.h) for the earliest deadline among its
//   waiting items; only configs that fit the free cores and GPUs. When the config it would
//   pick is busy (the GPU) and what is free is over twice as slow an item and misses the
//   slack anyway, the op waits for the busy one. A parallel op on the CPU chooses only among
//   configs near the plan's cost per item, and on a full pool near the cheapest: core-seconds
//   per item are what the job's end depends on, not the front item's slack. Such an op
//   also runs its cheapest call within that bound ahead of the frames' even pace, as long
//   as the job still ends by its SLO: the call ends in time (at 4 standard deviations, not
//   2), and the items still to come after it fit the time the cores have left (a core's
//   calls in a row judged together, sqrt(calls) x a call's spread). It waits for that
//   call's full batch likewise, or, when the job is behind, when the full batches get more
//   items through by the SLO than calls like the one it would run now. A wide pool
//   works in waves, so a wave of long cheap calls and shorter ones after it ends in time
//   at near the cheap plan's cost. Once nothing more is coming to the op, the job ends
//   with its calls: the shortest when none fits. fast runs the fastest plan's configs, and
//   the shortest call for the last items.
// - Safe delayed batching: an op with fewer items than its chosen batch waits for more only
//   while work upstream (anywhere: running, waiting, or a source with frames left) will bring
//   them, and the wait (the items missing x the time between arrivals; on a full pool, at
//   most the time the ops upstream take to make one) plus the full batch's latency still
//   fits its slack.
// - Sources emit their next batch only while the items waiting downstream are few (memory
//   stays bounded, and frames get their deadlines as they enter). A source that holds several
//   cores goes first whenever it fits, until a batch waits for every core: narrow ops would
//   otherwise take each core as it frees and keep the source from finding enough free at once.
// An op that keeps state between invocations (a tracker, a file) runs one invocation at a
// time; a parallel one (plan::OpModel::parallel) as many as the resources allow.
#pragma once

#include <deque>
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

struct SchedulerOptions {
  plan::Objective objective = plan::Objective::slo;
  bool delayed_batching = true;
  // Most items waiting in all queues before a source emits more; 0: twice the sum of every
  // op's largest batch, at least 16.
  int source_backlog = 0;
  // The job's deadline, seconds after its start (the clock's zero); 0: none. With it, a
  // parallel op in slo mode may run its cheapest calls ahead of the frames' pace while the
  // job still ends in time (see next()).
  double slo_s = 0;
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

 private:
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
