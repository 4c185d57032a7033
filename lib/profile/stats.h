// A latency distribution summarized the way the planner uses it: mean for expected work, p95
// for duplication thresholds, stdev and the 95% interval to decide when to stop measuring.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace llama::profile {

struct LatencyStats {
  int64_t n = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p95_ms = 0;
  double stdev_ms = 0;  // sample stdev (n - 1); 0 when n < 2
  double min_ms = 0;
  double max_ms = 0;

  bool operator==(const LatencyStats& other) const;
};

// Summary of `samples_ms` (any order). Percentiles interpolate linearly between order
// statistics (rank p * (n - 1), numpy's default), so p50 of {1, 2, 3, 4} is 2.5. An empty
// vector gives n = 0 and all zeros.
LatencyStats compute_stats(std::vector<double> samples_ms);

// Half-width of the 95% confidence interval of the mean: t * stdev / sqrt(n), with Student's
// t for n - 1 degrees of freedom. Not 1.96: the profiler stops a config as soon as it looks
// stable, often at n = 3..10, where 1.96 understates the interval by up to 2.2x and would
// stop it too early. Infinite when n < 2 (no spread is known).
double ci95_half_width(const LatencyStats& stats);

// True when the mean is known to within `fraction` of itself (95% half-width <=
// fraction * mean) from at least 3 samples; the profiler's "stop measuring this config".
bool stable_within(const LatencyStats& stats, double fraction);

void to_json(nlohmann::json& j, const LatencyStats& stats);
void from_json(const nlohmann::json& j, LatencyStats& stats);  // throws nlohmann::json::exception

}  // namespace llama::profile
