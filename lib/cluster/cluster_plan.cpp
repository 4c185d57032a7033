#include "cluster/cluster_plan.h"

#include <algorithm>
#include <functional>
#include <queue>

namespace llama::cluster {

namespace {

// A candidate within this share of the fastest is as fast: fewer tasks cost less.
constexpr double kSameLatency = 0.01;

}  // namespace

ClusterCandidate predict(const ClusterModel& model, const std::vector<int64_t>& frames) {
  ClusterCandidate c;
  c.tasks = static_cast<int>(frames.size());
  std::vector<double> life;  // each task's start-up and run
  for (int64_t f : frames) {
    const double run_s = model.task_run_s(f) * model.overheads.run_ratio;
    c.longest_run_s = std::max(c.longest_run_s, run_s);
    life.push_back(model.overheads.startup_s + run_s);
  }
  std::sort(life.begin(), life.end(), std::greater<>());
  const int slots = model.tasks_at_once > 0 ? std::min(model.tasks_at_once, c.tasks) : c.tasks;
  std::priority_queue<double, std::vector<double>, std::greater<>> free_at;
  for (int s = 0; s < slots; ++s) free_at.push(0.0);
  double end = 0;
  for (double l : life) {
    const double start = free_at.top();
    free_at.pop();
    free_at.push(start + l);
    end = std::max(end, start + l);
    c.core_s += l * model.cpus_per_task;
    c.gpu_s += l * model.gpus_per_task;
  }
  c.latency_s = model.overheads.queue_s + end + model.merge_s;
  c.usd = c.core_s * model.core_second_usd + c.gpu_s * model.gpu_second_usd;
  return c;
}

ClusterPlan plan_cluster(const ClusterModel& model, const std::vector<std::vector<int64_t>>& splits,
                         const std::string& objective, std::optional<double> slo_s) {
  ClusterPlan plan;
  for (const std::vector<int64_t>& frames : splits) {
    if (frames.empty()) continue;
    const bool seen = std::any_of(plan.curve.begin(), plan.curve.end(), [&](const auto& c) {
      return c.tasks == static_cast<int>(frames.size());
    });
    if (!seen) plan.curve.push_back(predict(model, frames));
  }
  std::sort(plan.curve.begin(), plan.curve.end(),
            [](const auto& a, const auto& b) { return a.tasks < b.tasks; });
  if (plan.curve.empty()) return plan;
  // Dollars where there is a price sheet, else resource-seconds.
  const bool priced = model.core_second_usd > 0 || model.gpu_second_usd > 0;
  auto cost = [&](const ClusterCandidate& c) { return priced ? c.usd : c.core_s + c.gpu_s; };
  plan.cheapest =
      *std::min_element(plan.curve.begin(), plan.curve.end(),
                        [&](const auto& a, const auto& b) { return cost(a) < cost(b); });
  double least = plan.curve.front().latency_s;
  for (const auto& c : plan.curve) least = std::min(least, c.latency_s);
  for (const auto& c : plan.curve)  // fewest tasks
    if (c.latency_s <= least * (1 + kSameLatency)) {
      plan.fastest = c;
      break;
    }
  if (objective == "fast") {
    plan.chosen = plan.fastest;
  } else if (objective == "cheap" || !slo_s) {
    plan.chosen = plan.cheapest;
  } else {
    plan.feasible = false;
    for (const auto& c : plan.curve)
      if (c.latency_s <= *slo_s && (!plan.feasible || cost(c) < cost(plan.chosen))) {
        plan.chosen = c;
        plan.feasible = true;
      }
    if (!plan.feasible) plan.chosen = plan.fastest;
  }
  return plan;
}

}  // namespace llama::cluster
