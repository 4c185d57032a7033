// The runtime core (DESIGN "During the run"): one job's run as a state machine on a Clock, the
// same for a real run (lib/exec: worker threads, real ops, a steady clock) and a simulated one
// (simulator.h: a virtual clock, drawn latencies). It keeps the items waiting at each op with
// their deadlines, the free resources and the calls in flight; it asks the scheduler what
// starts next, copies stragglers, and folds what each call took into the estimates (the
// manager). Its driver runs what it is told and reports back: a copy ended or failed, a call
// made items, items reached an op.
//
// A call is one invocation: an op at a config, on items taken from the front of its queue (a
// source: frames to make). A call of a parallel op that runs past Manager::straggler_after_s
// gets a second copy once its resources are free; the first result wins. A copy that fails
// runs again in place, holding what it holds, unless the other copy still runs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <vector>

#include <nlohmann/json.hpp>

#include "plan/job_model.h"
#include "plan/planner.h"
#include "runtime/clock.h"
#include "runtime/manager.h"
#include "runtime/scheduler.h"

namespace llama::runtime {

// One copy of a call, for the driver to run now.
struct Start {
  int run = -1;  // this copy: what the driver reports back with
  int call = -1;
  bool copy = false;  // a straggler's second copy
  int op = -1;
  int choice = -1;
  int items = 0;          // a source: frames to make; else taken from the front of its queue
  double slack_s = 0;     // what the allocator had (infinite for a source)
  double deadline_s = 0;  // the earliest deadline among its items
  // On the clock: when the call counts as a straggler (infinite: never), for a driver that
  // must wake up to copy it.
  double straggler_at_s = 0;
};

struct CoreOptions {
  SchedulerOptions scheduler;  // its slo is the job's; with none, nothing is ever due
  bool feedback = true;        // the manager's updates of the estimates
  bool duplicate_stragglers = true;
  // Keep a journal: every event the core was told and every call it started, in order, with
  // the clock's time, for a replay (replay.h).
  bool journal = false;
};

class Core {
 public:
  // `model` is copied twice: the estimates the manager moves, and the profile as given (its
  // spreads size the straggler threshold: a smoothed spread can shrink to nothing on a steady
  // stretch and then call every call a straggler).
  Core(const plan::JobModel& model, const plan::Assignment& initial, const Clock& clock,
       CoreOptions options);

  // What to start now: a straggler's copy that is due and fits, else the scheduler's next
  // decision; nullopt when nothing should start now.
  std::optional<Start> next();

  // A source's call made `count` frames: the deadlines of those frames (paced over the SLO,
  // Manager::frame_deadline_s), which become the call's items.
  const std::vector<double>& made(int call, int64_t count);
  // A source has made every frame it will.
  void source_done(int op);

  // A copy ended with its result after `seconds` of work; `measured` false (a cold start, a
  // retried call) keeps it from the manager. `delivered`: the call's first result, to hand on;
  // else the other copy won, and this one's result is dropped. `cancel`: the other copy, still
  // running, whose result no longer counts (a driver that can stop it calls cancel()).
  struct Ended {
    bool delivered = false;
    int cancel = -1;
  };
  Ended ended(int run, double seconds, bool measured);
  // A copy failed. True: it runs again in place, holding what it holds. False: the other copy
  // still runs and may deliver, so this one is over.
  bool failed(int run);
  // A copy is over without a result: cancelled, or failed for good (the driver stops the run).
  void cancel(int run);
  // `choice` of `op` failed even on a fresh instance: set aside for the rest of the run (see
  // Manager::set_aside, which picks what the items run at instead; -1: nothing is left).
  int set_aside(int op, int choice, int items, const plan::Resources& held);

  // A call of `op` took `in` items and made `out` (the fan-out the manager learns).
  void produced(int op, int64_t in, int64_t out);
  // Items reached `op`, with these deadlines, out of `seen` that its inputs made (the share
  // its `when:` lets through).
  void arrived(int op, const std::vector<double>& deadlines, int64_t seen);

  // Stop: nothing waits any more, and the sources make nothing more.
  void stop();
  // Checkpoints: the sources pause (the scheduler sees them done and runs what waits to the
  // end), then go on. False when no source had frames left.
  bool pause_sources();
  void resume_sources();
  // A resumed job: the sources made `frames` before (their deadlines go on from there).
  void resume_frames(int64_t frames);

  const OpQueue& queue(int op) const { return queues_[op]; }
  bool sources_done() const;
  int in_flight() const { return in_flight_; }
  int64_t frames_made() const { return made_; }
  const std::vector<double>& deadlines(int call) const { return calls_[call].deadlines; }
  int items(int call) const { return calls_[call].items; }
  int copies(int call) const { return calls_[call].copies; }
  bool over(int run) const { return runs_[run].over; }
  const plan::JobModel& estimates() const { return estimates_; }
  // Wall time of each scheduler decision that started a call, in microseconds.
  std::vector<float>& decision_us() { return decision_us_; }
  // With CoreOptions::journal: {"model", "initial", "options", "events"}, for replay().
  nlohmann::json journal() const;

 private:
  struct Call {
    int op = -1;
    int choice = -1;
    int items = 0;
    std::vector<double> deadlines;
    double start_s = 0;
    double straggler_s = 0;  // seconds after its start
    double slack_s = 0, deadline_s = 0;
    int copies = 0;  // running now
    int first_run = -1, copy_run = -1;
    bool done = false;
  };
  struct Run {
    int call = -1;
    plan::Resources held;
    bool over = false;
  };

  std::optional<Start> straggler_copy(double now_s);
  Start start(const Decision& d, double now_s);
  // A copy of `call` takes its resources.
  Start started(int call, bool copy);
  void release(int run);
  // One event of the journal, [kind, time, arguments...]: called only with
  // CoreOptions::journal, since building the event costs more than most decisions.
  void note(nlohmann::json event);
  bool fits(const plan::Resources& r) const {
    return r.cores <= free_.cores && r.gpus <= free_.gpus;
  }

  const plan::JobModel profiled_;
  plan::JobModel estimates_;
  const Clock& clock_;
  CoreOptions options_;
  Manager manager_;
  Scheduler scheduler_;
  double lead_s_;      // the plan's fill: frame deadlines start after it
  double frames_ = 0;  // the sources' expected frames, all together
  int64_t made_ = 0;   // frames the sources have made
  std::vector<OpQueue> queues_;
  FreeResources free_;
  int in_flight_ = 0;  // copies running
  std::vector<Call> calls_;
  std::vector<Run> runs_;
  // Calls that may straggle, soonest first by when they would; once past it, in due_ (by
  // call, oldest first) until a copy fits or they are settled.
  std::priority_queue<std::pair<double, int>, std::vector<std::pair<double, int>>,
                      std::greater<std::pair<double, int>>>
      watched_;
  std::vector<int> due_;
  std::vector<int> paused_;  // sources paused for a checkpoint
  std::vector<int> spent_;   // calls delivered since next(): their deadlines are freed there
  std::vector<float> decision_us_;
  nlohmann::json journal_ = nlohmann::json::array();
  nlohmann::json start_;  // the journal's head: what the core was made with
};

}  // namespace llama::runtime
