// What `llama explain` prints, and what `llama run` keeps in report.json as "plan": per op the
// chosen config, its predicted latency, work and cost, and the runner-up; for the job the
// predicted latency and cost, next to the fastest and the cheapest plans'. Built as one JSON
// object so the table and `--json` can never disagree.
#pragma once

#include <ostream>

#include <nlohmann/json.hpp>

#include "plan/job_model.h"
#include "plan/planner.h"

namespace llama::app {

// {"pipeline", "objective", "slo_s" (null without one), "feasible", "pool": {cpus, gpus},
//  "frames", "predicted"|"fastest"|"cheapest": {latency_s, bound, fill_s, usd, core_s, gpu_s},
//  "ops": [{op, kind, config, batch, latency_ms, stdev_ms, items, invocations, busy_s, usd,
//           core_s, runner_up: null | {config, batch, latency_ms, job_latency_s, job_usd}}]}
nlohmann::json plan_view(const plan::JobModel& model, const plan::Plan& plan);

void print_plan_table(std::ostream& out, const nlohmann::json& view);

}  // namespace llama::app
