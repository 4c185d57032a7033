// The allocator's second half: the config one invocation runs at, given its slack. For the
// slo objective, the cheapest per item (the invocation's cost / its batch) among the configs
// predicted to fit the slack (by their tail_s, not their mean: a call that fits on average
// misses half the time, and the last calls of a job decide whether it meets its SLO); if
// none fits, the invocation is behind the job's pace and only throughput catches up: for an
// op with state the least time per item (ties: the shorter invocation), for a parallel op
// the least cost per item (its copies fill the pool, so fewer core-seconds an item is more
// items a second). fast takes the least time per item, cheap the least cost per item, fixed
// (static) the YAML's first values. The scheduler narrows the choice for parallel ops to
// what the plan sized the pool for (scheduler.cpp).
#pragma once

#include <functional>

#include "plan/job_model.h"
#include "plan/planner.h"

namespace llama::runtime {

// How many standard deviations above its mean a call is predicted to take when judging
// whether it fits a slack: about the 98th percentile of a normal latency.
constexpr double kTailSigmas = 2;

// Dollars an item of a call of `op` at choice `k` on `items` items (up to its batch); a price
// sheet of zeros still ranks configs by what they hold.
double per_item_usd(const plan::OpModel& op, int k, int items, const plan::JobModel& model);

// Seconds a call of `op` at choice `k` on `items` items takes at `sigmas`: its mean
// (plan::OpModel::latency_ms_at) plus that many times the spread, scaled to that mean.
double tail_s(const plan::OpModel& op, int k, int items, double sigmas = kTailSigmas);

// An index into op.choices, for an invocation on `items` items (a config with a larger
// batch runs them all, predicted by plan::OpModel::latency_ms_at; one with a smaller batch takes
// its batch). Only configs that `fits` (e.g. the free cores) and are not set aside are
// considered; -1 when none is left. `op` must have at least one choice.
int choose_config(const plan::OpModel& op, double slack_s, plan::Objective objective,
                  const plan::JobModel& model, int items = 1 << 30,
                  const std::function<bool(const plan::Choice&)>& fits = {});

}  // namespace llama::runtime
