#include "profile/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "profile/json_int.h"

namespace llama::profile {

namespace {

// Linear interpolation between order statistics of sorted, non-empty `xs`.
double percentile(const std::vector<double>& xs, double p) {
  double rank = p * static_cast<double>(xs.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(rank));
  size_t hi = std::min(lo + 1, xs.size() - 1);
  return xs[lo] + (rank - static_cast<double>(lo)) * (xs[hi] - xs[lo]);
}

// Two-sided 95% Student t quantiles. Past the table we use the value of the nearest smaller
// degrees of freedom, which errs on the wide (conservative) side.
double t95(int64_t df) {
  static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                                 2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
                                 2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
                                 2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
  if (df <= 30) return table[df - 1];
  if (df < 40) return 2.042;
  if (df < 60) return 2.021;
  if (df < 120) return 2.000;
  if (df < 1000) return 1.980;
  return 1.960;
}

}  // namespace

bool LatencyStats::operator==(const LatencyStats& o) const {
  return n == o.n && mean_ms == o.mean_ms && p50_ms == o.p50_ms && p95_ms == o.p95_ms &&
         stdev_ms == o.stdev_ms && min_ms == o.min_ms && max_ms == o.max_ms;
}

LatencyStats compute_stats(std::vector<double> samples_ms) {
  LatencyStats s;
  if (samples_ms.empty()) return s;
  std::sort(samples_ms.begin(), samples_ms.end());
  s.n = static_cast<int64_t>(samples_ms.size());
  double sum = 0;
  for (double x : samples_ms) sum += x;
  s.mean_ms = sum / static_cast<double>(s.n);
  if (s.n > 1) {
    // Two passes (mean first) rather than sum of squares: no cancellation for tight samples.
    double ss = 0;
    for (double x : samples_ms) ss += (x - s.mean_ms) * (x - s.mean_ms);
    s.stdev_ms = std::sqrt(ss / static_cast<double>(s.n - 1));
  }
  s.p50_ms = percentile(samples_ms, 0.50);
  s.p95_ms = percentile(samples_ms, 0.95);
  s.min_ms = samples_ms.front();
  s.max_ms = samples_ms.back();
  return s;
}

double ci95_half_width(const LatencyStats& stats) {
  if (stats.n < 2) return std::numeric_limits<double>::infinity();
  return t95(stats.n - 1) * stats.stdev_ms / std::sqrt(static_cast<double>(stats.n));
}

bool stable_within(const LatencyStats& stats, double fraction) {
  return stats.n >= 3 && ci95_half_width(stats) <= fraction * stats.mean_ms;
}

void to_json(nlohmann::json& j, const LatencyStats& s) {
  j = {{"n", s.n},           {"mean_ms", s.mean_ms},   {"p50_ms", s.p50_ms},
       {"p95_ms", s.p95_ms}, {"stdev_ms", s.stdev_ms}, {"min_ms", s.min_ms},
       {"max_ms", s.max_ms}};
}

void from_json(const nlohmann::json& j, LatencyStats& s) {
  s.n = json_int<int64_t>(j.at("n"));
  j.at("mean_ms").get_to(s.mean_ms);
  j.at("p50_ms").get_to(s.p50_ms);
  j.at("p95_ms").get_to(s.p95_ms);
  j.at("stdev_ms").get_to(s.stdev_ms);
  j.at("min_ms").get_to(s.min_ms);
  j.at("max_ms").get_to(s.max_ms);
}

}  // namespace llama::profile
