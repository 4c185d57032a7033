// The manager (DESIGN "During the run"): keeps the job's estimates current. After every
// invocation it folds what was observed (latency, fan-out, branch taken) into the job model
// the scheduler plans with, by exponential smoothing; and it gives each frame its deadline,
// paced over the SLO so that early frames do not spend the whole job's time.
#pragma once

#include <cstdint>

#include "plan/job_model.h"

namespace llama::runtime {

class Manager {
 public:
  // Same weight as profile::Predictor::kAlpha, for the same reasons (see there).
  static constexpr double kAlpha = 0.2;

  // `estimates` is updated in place; the scheduler reads the same object.
  explicit Manager(plan::JobModel& estimates) : model_(estimates) {}

  // An invocation of `op` at `choice` on `items` items took `seconds`. Its ratio to the
  // prediction for that many items moves, by exponential smoothing, the estimate of every
  // choice of the op on the same device (CPU, or GPU), each keeping its profiled ratio to
  // the others. A choice with no estimate at all (latency 0) takes the first observation,
  // scaled per item.
  void observe_latency(int op, int choice, int items, double seconds);
  void observe_fanout(int op, int64_t items_in, int64_t items_out);
  void observe_branch(int op, int64_t taken, int64_t seen);

  // `choice` of `op` failed even on a fresh instance: it is set aside for the rest of the
  // run. Returns the choice to run the same `items` at instead (in calls of its batch), the
  // cheapest per item of those that hold no more than `held`, what the failed invocation's
  // worker holds; -1 when none is left, and the run must stop.
  int set_aside(int op, int choice, int items, const plan::Resources& held);

  // Frame `index` of `frames` is due at start + lead + (SLO - lead) x (index + 1) / frames.
  // The lead is the time one frame takes through the pipeline (the plan's fill_s), so the
  // first frames are not due before any config could finish them; the last is due at the
  // SLO. The lead is cut to half the SLO, leaving the pace room.
  static double frame_deadline_s(double start_s, double slo_s, int64_t index, double frames,
                                 double lead_s = 0);

  // How long an invocation predicted at `mean_s` (spread `sd_s`) may run before it counts as
  // a straggler and gets a copy: max(mean + 3 sd, 2 x mean). Infinite under 1 ms, where a
  // copy costs more than any wait it could save.
  static double straggler_after_s(double mean_s, double sd_s);

 private:
  plan::JobModel& model_;
};

}  // namespace llama::runtime
