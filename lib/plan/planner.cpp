#include "plan/planner.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace llama::plan {

namespace {

// Differences below this many seconds (or dollars) are noise of the arithmetic, not a
// better plan: without it, the searches below could trade equal plans forever.
constexpr double kEps = 1e-12;

// Dollars first; core- plus GPU-seconds decide when the price sheet makes two plans equal
// (a sheet of zeros still prefers the plan that holds less).
std::pair<double, double> cost_key(const Cost& c) {
  return {c.dollars, c.core_s + c.gpu_s};
}

bool cheaper(const JobEstimate& a, const JobEstimate& b) {
  auto ka = cost_key(a.cost), kb = cost_key(b.cost);
  if (ka.first < kb.first - kEps) return true;
  if (ka.first > kb.first + kEps) return false;
  if (ka.second < kb.second - kEps) return true;
  if (ka.second > kb.second + kEps) return false;
  return a.latency_s < b.latency_s - kEps;
}

bool faster(const JobEstimate& a, const JobEstimate& b) {
  if (a.latency_s < b.latency_s - kEps) return true;
  if (a.latency_s > b.latency_s + kEps) return false;
  return cheaper(a, b);
}

// Calls visit(op, trial, its estimate) for every plan that differs from `a` in one op's choice.
template <typename Visit>
void for_each_change(const JobModel& model, const Assignment& a, Visit visit) {
  for (size_t i = 0; i < model.ops.size(); ++i)
    for (int k = 0; k < static_cast<int>(model.ops[i].choices.size()); ++k) {
      if (k == a[i]) continue;
      Assignment trial = a;
      trial[i] = k;
      JobEstimate e = estimate(model, trial);
      visit(i, std::move(trial), std::move(e));
    }
}

// Takes the single change of one op's choice that `better` likes most, as long as one makes
// `better` true against the current plan. Ops interact only through the shared pool and the
// items a source emits, so a few steps settle it; the cap is for safety, not convergence.
template <typename Better>
Assignment descend(const JobModel& model, Assignment a, Better better) {
  JobEstimate current = estimate(model, a);
  for (int step = 0; step < 1000; ++step) {
    Assignment best;
    JobEstimate best_estimate = current;
    for_each_change(model, a, [&](size_t, Assignment trial, JobEstimate e) {
      if (better(e, best_estimate)) {
        best = std::move(trial);
        best_estimate = std::move(e);
      }
    });
    if (best.empty()) break;
    a = std::move(best);
    current = std::move(best_estimate);
  }
  return a;
}

// Each op's choice with the least of `per_item` (a start for the descent: usually already
// the answer when ops do not share much).
template <typename PerItem>
Assignment best_per_item(const JobModel& model, PerItem per_item) {
  Assignment a(model.ops.size(), 0);
  for (size_t i = 0; i < model.ops.size(); ++i) {
    const std::vector<Choice>& cs = model.ops[i].choices;
    for (size_t k = 1; k < cs.size(); ++k)
      if (per_item(cs[k]) < per_item(cs[a[i]])) a[i] = static_cast<int>(k);
  }
  return a;
}

double dollars_per_second(const JobModel& model, const Choice& c) {
  Cost one = cost_of(c.held, 1.0, model.prices, model.pool.gpu_name);
  // Same order as cost_key: a sheet of zeros still ranks by resources held.
  return one.dollars + 1e-9 * (one.core_s + one.gpu_s);
}

// How far the plan is from meeting `slo_s`, summed over everything that bounds the job: each
// op's own work, the CPU work and the GPU work, each plus the fill. Zero exactly when the
// predicted latency meets the SLO. The greedy upgrade measures progress with it rather than
// with the latency itself: when two ops are equally the bottleneck, upgrading either alone
// does not move the latency (a max), and a greedy that needed it to would stop there.
double overshoot(const JobEstimate& e, double slo_s) {
  double sum = 0;
  auto add = [&](double bound) { sum += std::max(0.0, bound + e.fill_s - slo_s); };
  for (const OpEstimate& o : e.ops)
    if (o.bounds) add(o.busy_s);
  add(e.cpu_bound_s);
  add(e.gpu_bound_s);
  return sum;
}

// Greedy upgrade (DESIGN): from `a`, repeatedly take the single change of one op's config
// that saves the most predicted latency (as overshoot() measures it) per extra dollar, until
// the SLO is met or no change saves any.
Assignment upgrade_until(const JobModel& model, Assignment a, double slo_s) {
  JobEstimate current = estimate(model, a);
  for (int step = 0; step < 10000 && current.latency_s > slo_s; ++step) {
    double over = overshoot(current, slo_s);
    double best_score = -1;
    double best_saved = 0;
    Assignment best;
    JobEstimate best_estimate;
    for_each_change(model, a, [&](size_t, Assignment trial, JobEstimate e) {
      double saved = over - overshoot(e, slo_s);
      if (saved <= kEps) return;
      double extra = e.cost.dollars - current.cost.dollars;
      double score = extra <= kEps ? std::numeric_limits<double>::infinity() : saved / extra;
      if (score > best_score || (score == best_score && saved > best_saved)) {
        best_score = score;
        best_saved = saved;
        best = std::move(trial);
        best_estimate = std::move(e);
      }
    });
    if (best.empty()) break;
    a = std::move(best);
    current = std::move(best_estimate);
  }
  return a;
}

Assignment runner_ups(const JobModel& model, const Plan& plan) {
  Assignment runner(model.ops.size(), -1);
  std::vector<JobEstimate> best(model.ops.size());
  for_each_change(model, plan.choice, [&](size_t i, Assignment trial, JobEstimate e) {
    bool better = false;
    if (runner[i] < 0) {
      better = true;
    } else if (plan.objective == Objective::fast) {
      better = faster(e, best[i]);
    } else if (plan.objective == Objective::slo) {
      bool meets = plan.slo && e.latency_s <= plan.slo.seconds();
      bool best_meets = plan.slo && best[i].latency_s <= plan.slo.seconds();
      better = meets != best_meets ? meets : meets ? cheaper(e, best[i]) : faster(e, best[i]);
    } else {
      better = cheaper(e, best[i]);
    }
    if (better) {
      runner[i] = trial[i];
      best[i] = std::move(e);
    }
  });
  return runner;
}

}  // namespace

std::vector<double> expected_items_in(const JobModel& model, const Assignment& choice) {
  std::vector<double> in(model.ops.size(), 0), out(model.ops.size(), 0);
  for (size_t i = 0; i < model.ops.size(); ++i) {
    const OpModel& op = model.ops[i];
    if (op.source) {
      in[i] = model.video.frames * op.choices[choice[i]].source_share;
      out[i] = in[i];
    } else {
      for (int up : op.inputs) in[i] += out[up] * op.branch_rate;
      out[i] = in[i] * op.fanout;
    }
  }
  return in;
}

JobEstimate estimate(const JobModel& model, const Assignment& choice) {
  JobEstimate e;
  e.ops.resize(model.ops.size());
  std::vector<double> items_in = expected_items_in(model, choice);
  // Variances (s^2) of each bound: a sum of independent calls varies by the sum of theirs.
  double core_s = 0, gpu_s = 0, core_var = 0, gpu_var = 0, bound_var = 0;
  for (size_t i = 0; i < model.ops.size(); ++i) {
    const OpModel& op = model.ops[i];
    const Choice& c = op.choices[choice[i]];
    OpEstimate& o = e.ops[i];
    o.items_in = items_in[i];
    o.invocations = o.items_in / c.batch;
    o.busy_s = o.invocations * c.latency_ms / 1000;
    o.bounds = !op.parallel;
    Resources held = held_on(c, model.pool);
    o.cost = cost_of(held, o.busy_s, model.prices, model.pool.gpu_name);
    e.cost += o.cost;
    core_s += o.cost.core_s;
    gpu_s += o.cost.gpu_s;
    double sd_s = c.stdev_ms / 1000;
    core_var += o.invocations * std::pow(sd_s * held.cores, 2);
    gpu_var += o.invocations * std::pow(sd_s * held.gpus, 2);
    if (o.bounds && o.busy_s > e.bound_s) {
      e.bound_s = o.busy_s;
      e.bound = "op " + op.name;
      bound_var = o.invocations * sd_s * sd_s;
    }
  }
  int cpus = std::max(1, model.pool.cpus), gpus = std::max(1, model.pool.gpus);
  e.cpu_bound_s = core_s / cpus;
  if (e.cpu_bound_s > e.bound_s) {
    e.bound_s = e.cpu_bound_s;
    e.bound = "cpu";
    bound_var = core_var / (cpus * cpus);
  }
  e.gpu_bound_s = gpu_s / gpus;
  if (e.gpu_bound_s > e.bound_s) {
    e.bound_s = e.gpu_bound_s;
    e.bound = "gpu";
    bound_var = gpu_var / (gpus * gpus);
  }
  double fill_var = 0;
  for (const std::vector<int>& path : model.paths) {
    double s = 0, var = 0;
    for (int i : path) {
      const Choice& c = model.ops[i].choices[choice[i]];
      s += c.latency_ms / 1000;
      var += std::pow(c.stdev_ms / 1000, 2);
    }
    if (s > e.fill_s) {
      e.fill_s = s;
      fill_var = var;
    }
  }
  e.latency_s = e.bound_s + e.fill_s;
  e.latency_sd_s = std::sqrt(bound_var + fill_var);
  return e;
}

Assignment first_values(const JobModel& model) {
  return Assignment(model.ops.size(), 0);
}

Assignment fastest(const JobModel& model) {
  Assignment start =
      best_per_item(model, [](const Choice& c) { return c.latency_ms * c.source_share / c.batch; });
  Assignment from_items = descend(model, start, faster);
  // The descent settles in a local optimum. The cheapest plan is another start: with a
  // parallel op, one thread per instance often beats two threads on one.
  Assignment from_cheapest = descend(model, cheapest(model), faster);
  return faster(estimate(model, from_cheapest), estimate(model, from_items)) ? from_cheapest
                                                                             : from_items;
}

Assignment cheapest(const JobModel& model) {
  Assignment start = best_per_item(model, [&](const Choice& c) {
    return c.latency_ms * c.source_share / c.batch * dollars_per_second(model, c);
  });
  return descend(model, start, cheaper);
}

Plan plan_job(const JobModel& model, Objective objective, spec::LatencyTarget slo) {
  Plan plan;
  plan.objective = objective;
  plan.slo = slo;
  // The slo objective with no target has nothing to meet: every plan misses "zero seconds",
  // and it runs as the infeasible case does (the cheapest plan within the fastest's spread).
  double slo_s = slo ? slo.seconds() : 0;
  Assignment fast = fastest(model), cheap = cheapest(model);
  plan.fastest = estimate(model, fast);
  plan.cheapest = estimate(model, cheap);
  switch (objective) {
    case Objective::fast:
      plan.choice = fast;
      break;
    case Objective::cheap:
      plan.choice = cheap;
      break;
    case Objective::fixed:
      plan.choice = first_values(model);
      break;
    case Objective::slo:
      if (plan.cheapest.latency_s <= slo_s) {
        plan.choice = cheap;
      } else if (plan.fastest.latency_s > slo_s) {
        // The SLO will likely be missed whatever runs; the best try is to end soonest. On 64
        // simulated cores face_blur's fastest plan is predicted 3% sooner than its cheapest
        // (within the encoder's spread, and it ran 0.5% sooner) at 1.16x the cost.
        plan.feasible = false;
        double within_s = plan.fastest.latency_s + plan.fastest.latency_sd_s;
        auto within_and_cheaper = [&](const JobEstimate& e, const JobEstimate& cur) {
          return e.latency_s <= within_s && cheaper(e, cur);
        };
        plan.choice = descend(model, fast, within_and_cheaper);
        if (plan.cheapest.latency_s <= within_s) plan.choice = cheap;
      } else {
        Assignment a = upgrade_until(model, cheap, slo_s);
        if (estimate(model, a).latency_s > slo_s) a = fast;  // the greedy got stuck
        // One op's upgrade can make another's unnecessary: give back what is not needed.
        auto meets_and_cheaper = [&](const JobEstimate& e, const JobEstimate& cur) {
          return e.latency_s <= slo_s && cheaper(e, cur);
        };
        plan.choice = descend(model, a, meets_and_cheaper);
        // The greedy can overshoot into upgrades dearer than the fastest plan's; the same
        // descent from the fastest plan bounds it: never costlier than fast when fast meets it.
        Assignment from_fast = descend(model, fast, meets_and_cheaper);
        if (cheaper(estimate(model, from_fast), estimate(model, plan.choice)))
          plan.choice = from_fast;
      }
      break;
  }
  if (objective != Objective::slo && slo) plan.feasible = plan.fastest.latency_s <= slo_s;
  plan.predicted = estimate(model, plan.choice);
  plan.runner_up = runner_ups(model, plan);
  return plan;
}

Objective runtime_objective(const Plan& plan) {
  return plan.objective == Objective::slo && !plan.feasible ? Objective::fast : plan.objective;
}

std::string to_string(Objective objective) {
  switch (objective) {
    case Objective::slo:
      return "slo";
    case Objective::fast:
      return "fast";
    case Objective::cheap:
      return "cheap";
    case Objective::fixed:
      return "static";
  }
  return "?";
}

}  // namespace llama::plan
