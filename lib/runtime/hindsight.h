// The hindsight oracle (llama explain --hindsight): what the job would have cost on the
// cheapest plan that met its SLO, had the planner known what the run measured. The run's
// journal (core.h; llama run --trace keeps it) gives every call's latency and every op's
// fan-out and branch rate. Each candidate plan is simulated through the same runtime core, at
// the run's objective, on those numbers (latencies resampled from the recorded ones, as ratios
// to the profile's prediction for the call's items), over several seeds: it met the SLO when
// most seeds did. The candidates are the plans the planner makes on the measured numbers for
// SLOs from its fastest plan to its cheapest, the fastest, the cheapest, and the plan the run
// started from. The run's regret is its cost over the oracle's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plan/job_model.h"
#include "plan/planner.h"

namespace llama::runtime {

struct HindsightPlan {
  plan::Assignment choice;
  double latency_s = 0;  // the seeds' median
  double usd = 0;        // the seeds' mean
  bool met = false;      // most seeds met the SLO (and none got stuck, without one)
};

struct Hindsight {
  spec::LatencyTarget slo;           // the run's; with none, the cheapest plan is the oracle
  int64_t calls_measured = 0;        // latencies the resampling draws from
  std::vector<HindsightPlan> plans;  // every candidate, cheapest first
  int best = -1;                     // the cheapest that met the SLO; -1: none did
  plan::JobModel model;              // the recorded model, with the measured fan-outs
};

// Throws Error(bad_input) naming `file` when the journal is damaged.
Hindsight hindsight(const nlohmann::json& journal, const std::string& file, int seeds = 3);

}  // namespace llama::runtime
