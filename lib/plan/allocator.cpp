#include "plan/allocator.h"

namespace llama::plan {

namespace {

double dollars_per_item(const Choice& c, const JobModel& model) {
  Cost cost = cost_of(c.held, c.latency_ms / 1000, model.prices, model.pool.gpu_name);
  // A sheet of zeros still prefers the config that holds less.
  return (cost.dollars + 1e-12 * (cost.core_s + cost.gpu_s)) / c.batch;
}

double seconds_per_item(const Choice& c) {
  return c.latency_ms / 1000 / c.batch;
}

}  // namespace

int choose_config(const OpModel& op, double slack_s, Objective objective, const JobModel& model) {
  int fastest = 0, quickest = 0, cheapest = 0, cheapest_fitting = -1;
  for (int k = 0; k < static_cast<int>(op.choices.size()); ++k) {
    const Choice& c = op.choices[k];
    if (seconds_per_item(c) < seconds_per_item(op.choices[fastest])) fastest = k;
    if (c.latency_ms < op.choices[quickest].latency_ms) quickest = k;
    if (dollars_per_item(c, model) < dollars_per_item(op.choices[cheapest], model)) cheapest = k;
    if (c.latency_ms / 1000 <= slack_s &&
        (cheapest_fitting < 0 ||
         dollars_per_item(c, model) < dollars_per_item(op.choices[cheapest_fitting], model)))
      cheapest_fitting = k;
  }
  switch (objective) {
    case Objective::fast:
      return fastest;
    case Objective::cheap:
      return cheapest;
    case Objective::fixed:
      return 0;
    case Objective::slo:
      break;
  }
  return cheapest_fitting >= 0 ? cheapest_fitting : quickest;
}

}  // namespace llama::plan
