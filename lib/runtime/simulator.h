// `llama simulate`: the job played on a virtual clock, from the job model alone, by the same
// runtime core as a real run (core.h): the same scheduler, allocator and manager decide every
// invocation. Latencies are drawn from the profiled distributions (log-normal with the
// profile's mean and stdev, seeded), and items flow by the measured fan-out and branch rates.
// So behaviour on pools this machine does not have (64 cores, 8 GPUs) can be planned and
// tested, deterministically. Failures (failure_rate) run again in place; a straggler's copy
// that loses is cancelled when the other delivers, and paid for until then.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "plan/cost_model.h"
#include "plan/job_model.h"
#include "plan/planner.h"
#include "runtime/core.h"

namespace llama::runtime {

struct SimOptions {
  uint64_t seed = 1;
  double failure_rate = 0;  // share of invocations that fail (after running), retried
  bool feedback = true;     // the manager's online updates of the estimates
  bool duplicate_stragglers = true;
  bool journal = false;  // keep the core's journal (SimResult::journal), for a replay
  // Latencies from elsewhere (a recorded run's: hindsight.h) instead of the profile's
  // log-normal: seconds of a call of `op` at `choice` on `items` items; negative: draw as
  // usual.
  std::function<double(int op, int choice, int items, std::mt19937_64& rng)> latency;
  SchedulerOptions scheduler;
  // The video's content changes mid-run: from `from_share` of the source's frames on, `op`
  // really makes `factor` times the items per item that the profile says (a crowd arrives).
  struct Change {
    int op = -1;
    double from_share = 0;
    double factor = 1;
  } change;
};

struct SimOpResult {
  std::string name;
  int64_t invocations = 0;  // that counted (not failed, not cancelled duplicates)
  int64_t items_in = 0;
  int64_t items_out = 0;
  double busy_s = 0;
  plan::Cost cost;                         // everything it held, failed and cancelled runs too
  std::map<std::string, int64_t> configs;  // "{threads=2} b4" -> invocations at it
};

struct SimResult {
  double latency_s = 0;  // virtual time when the last invocation finished
  spec::LatencyTarget slo;
  bool met = false;  // ended by the SLO (with none: always), with nothing stuck
  plan::Cost cost;
  int64_t invocations = 0;  // started, all kinds
  int64_t failures = 0;
  int64_t duplicates = 0;
  int64_t results = 0;            // items that reached the sinks
  int64_t late = 0;               // of them, finished after their frame's deadline
  double decision_us_median = 0;  // wall time of one scheduler decision
  double decision_us_p99 = 0;
  double wall_s = 0;  // real time the simulation took
  std::vector<SimOpResult> ops;
  nlohmann::json journal;  // with SimOptions::journal
};

// `model` is copied: the truth the draws come from stays as given, while the scheduler plans
// with a second copy that the manager updates (when feedback is on).
SimResult simulate(const plan::JobModel& model, const plan::Assignment& initial,
                   spec::LatencyTarget slo, const SimOptions& options);

}  // namespace llama::runtime
