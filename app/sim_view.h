// What `llama simulate` prints: the simulated job (latency against the SLO, cost, failures,
// duplicates, the scheduler's decision time) and per op its invocations, items and the
// configs the allocator chose. One JSON object, so the table and `--json` never disagree.
#pragma once

#include <ostream>

#include <nlohmann/json.hpp>

#include "plan/job_model.h"
#include "plan/planner.h"
#include "runtime/simulator.h"

namespace llama::app {

nlohmann::json sim_view(const plan::JobModel& model, const plan::Plan& plan,
                        const runtime::SimResult& result, uint64_t seed);

void print_sim_table(std::ostream& out, const nlohmann::json& view);

}  // namespace llama::app
