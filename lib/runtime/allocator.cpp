#include "runtime/allocator.h"

#include <algorithm>

namespace llama::runtime {

namespace {

struct Candidate {
  int k = -1;
  double seconds = 0;  // predicted invocation latency
  double per_item_s = 0;
  double per_item_usd = 0;
};

// Dollars per item and the tail of a call whose mean is already known: choose_config asks
// for both of every choice on every decision, and the mean is the costly part.
double per_item_usd_of(const plan::Choice& c, double seconds, int taken,
                       const plan::JobModel& model) {
  plan::Cost cost = plan::cost_of(c.held, seconds, model.prices, model.pool.gpu_name);
  // A sheet of zeros still prefers the config that holds less.
  return (cost.dollars + 1e-12 * (cost.core_s + cost.gpu_s)) / taken;
}

double tail_of(const plan::Choice& c, double mean_ms, double sigmas) {
  double sd_ms = c.latency_ms > 0 ? c.stdev_ms * mean_ms / c.latency_ms : 0;
  return (mean_ms + sigmas * sd_ms) / 1000;
}

}  // namespace

double per_item_usd(const plan::OpModel& op, int k, int items, const plan::JobModel& model) {
  int taken = std::max(1, std::min(items, op.choices[k].batch));
  return per_item_usd_of(op.choices[k], op.latency_ms_at(k, taken) / 1000, taken, model);
}

double tail_s(const plan::OpModel& op, int k, int items, double sigmas) {
  return tail_of(op.choices[k], op.latency_ms_at(k, items), sigmas);
}

int choose_config(const plan::OpModel& op, double slack_s, plan::Objective objective,
                  const plan::JobModel& model, int items,
                  const std::function<bool(const plan::Choice&)>& fits) {
  Candidate fastest, cheapest, cheapest_fitting;
  for (int k = 0; k < static_cast<int>(op.choices.size()); ++k) {
    const plan::Choice& c = op.choices[k];
    if (c.set_aside || (fits && !fits(c))) continue;
    int taken = std::max(1, std::min(items, c.batch));
    double mean_ms = op.latency_ms_at(k, taken);
    Candidate x{k, mean_ms / 1000, 0, 0};
    x.per_item_s = x.seconds / taken;
    x.per_item_usd = per_item_usd_of(c, x.seconds, taken, model);
    if (fastest.k < 0 || x.per_item_s < fastest.per_item_s ||
        (x.per_item_s == fastest.per_item_s && x.seconds < fastest.seconds))
      fastest = x;
    if (cheapest.k < 0 || x.per_item_usd < cheapest.per_item_usd) cheapest = x;
    if (tail_of(c, mean_ms, kTailSigmas) <= slack_s &&
        (cheapest_fitting.k < 0 || x.per_item_usd < cheapest_fitting.per_item_usd))
      cheapest_fitting = x;
  }
  switch (objective) {
    case plan::Objective::fast:
      return fastest.k;
    case plan::Objective::cheap:
      return cheapest.k;
    case plan::Objective::fixed:
      return op.choices[0].set_aside || (fits && !fits(op.choices[0])) ? -1 : 0;
    case plan::Objective::slo:
      break;
  }
  if (cheapest_fitting.k >= 0) return cheapest_fitting.k;
  // Behind the job's pace: what catches up is the op's throughput on the pool. Invocations
  // of a parallel op fill every free core, so its throughput is cores / core-seconds per
  // item: the cheapest per item. An op with state runs alone: the fastest per item.
  return op.parallel ? cheapest.k : fastest.k;
}

}  // namespace llama::runtime
