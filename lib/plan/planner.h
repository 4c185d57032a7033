// Planning before the run (DESIGN "Planning before the run"): what a choice of configs will
// cost and how long the job will take on the pool, the fastest and the cheapest plans, and
// the cheapest plan predicted to meet an SLO (greedy upgrade by latency saved per dollar).
#pragma once

#include <string>
#include <vector>

#include "plan/cost_model.h"
#include "plan/job_model.h"
#include "spec/latency_target.h"

namespace llama::plan {

// One choice index per op of the JobModel.
using Assignment = std::vector<int>;

struct OpEstimate {
  double items_in = 0;     // for a source: items it emits
  double invocations = 0;  // items / batch
  double busy_s = 0;       // invocations x latency
  bool bounds = true;      // its busy time bounds the job: it runs one invocation at a time
  Cost cost;
};

// The predicted job, under a model of a streaming pipeline on a shared pool: once the
// pipeline is full, the job goes as fast as its tightest resource lets it: all CPU work
// spread over the cores, all GPU work over the streams, or one op's work (an op that keeps
// state runs one invocation at a time, so no pool makes it go faster; parallel ops do not
// bound the job this way). The first item must also
// get through: `fill_s` is the slowest source-to-sink path of single invocations.
struct JobEstimate {
  double latency_s = 0;  // bound_s + fill_s
  double bound_s = 0;
  std::string bound;       // "cpu", "gpu" or "op <name>": what limits the job
  double cpu_bound_s = 0;  // core-seconds / cores
  double gpu_bound_s = 0;  // GPU-seconds / streams
  double fill_s = 0;
  // The spread (one standard deviation) of latency_s from the calls' measured spreads, taken
  // independent: a bound of many calls varies by sqrt(calls) x one call's, not calls x.
  double latency_sd_s = 0;
  Cost cost;
  std::vector<OpEstimate> ops;
};

JobEstimate estimate(const JobModel& model, const Assignment& choice);

// Items each op is expected to take in over the whole job at `choice`: the sources' frames
// (their share at the chosen frame rate), then the upstream ops' output through branch rates
// and fan-outs. estimate() plans on these; the scheduler counts what is still to come by them.
std::vector<double> expected_items_in(const JobModel& model, const Assignment& choice);

// Every op at its first choice: the YAML's first knob values (--static).
Assignment first_values(const JobModel& model);
// Least predicted job latency, cost ignored (llama-fast).
Assignment fastest(const JobModel& model);
// Least predicted job cost, latency ignored (llama-cheap).
Assignment cheapest(const JobModel& model);

enum class Objective { slo, fast, cheap, fixed };

struct Plan {
  Objective objective = Objective::slo;
  spec::LatencyTarget slo;  // the job's SLO, if it has one
  Assignment choice;
  JobEstimate predicted;
  JobEstimate fastest;   // the fastest plan: feasibility is judged against it
  JobEstimate cheapest;  // the cheapest plan
  bool feasible = true;  // the SLO is at or above the fastest plan's prediction
  // Per op, the choice that would be the best alternative (see plan_job), -1 if none.
  Assignment runner_up;
};

// The plan for `objective`. For slo: the cheapest plan when it meets the SLO; else, from the
// cheapest plan, upgrade one op at a time, each time the upgrade that saves the most
// predicted job latency per extra dollar, until the prediction meets the SLO. If no plan is
// predicted to meet it (feasible = false): the cheapest plan predicted to end within the
// fastest plan's spread (JobEstimate::latency_sd_s) of it. As far as the profiles can tell
// it ends as soon; a gain smaller than the run's own spread is not worth paying for.
// The runner-up of an op is its other choice that keeps the plan cheapest while still
// meeting the SLO (for fast: the next fastest; for cheap and fixed: the next cheapest).
// Every op must have at least one choice (JobModel::unprofiled() empty).
Plan plan_job(const JobModel& model, Objective objective, spec::LatencyTarget slo);

// The objective the runtime runs `plan` with: the plan's own, except that an infeasible SLO
// runs as fast does. Every deadline would look missed, and chasing them with calls that fit
// only a front item ran people_count 7% past the fastest plan on 2 simulated cores (10.52 s
// against 9.81) at 1.11x its cost; ending soonest is the best try at the SLO.
Objective runtime_objective(const Plan& plan);

std::string to_string(Objective objective);

}  // namespace llama::plan
