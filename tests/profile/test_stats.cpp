#include <doctest/doctest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "profile/stats.h"

using llama::profile::ci95_half_width;
using llama::profile::compute_stats;
using llama::profile::LatencyStats;
using llama::profile::stable_within;

TEST_CASE("stats of a few samples, in any order") {
  LatencyStats s = compute_stats({4, 1, 3, 2});
  CHECK(s.n == 4);
  CHECK(s.mean_ms == doctest::Approx(2.5));
  CHECK(s.p50_ms == doctest::Approx(2.5));
  CHECK(s.p95_ms == doctest::Approx(3.85));  // rank 0.95 * 3 = 2.85: 3 + 0.85 * (4 - 3)
  CHECK(s.stdev_ms == doctest::Approx(std::sqrt(5.0 / 3.0)));  // sample stdev, n - 1
  CHECK(s.min_ms == 1);
  CHECK(s.max_ms == 4);
}

TEST_CASE("percentiles interpolate between order statistics") {
  std::vector<double> xs;
  for (int i = 100; i >= 1; --i) xs.push_back(i);
  LatencyStats s = compute_stats(xs);
  CHECK(s.p50_ms == doctest::Approx(50.5));
  CHECK(s.p95_ms == doctest::Approx(95.05));
  CHECK(s.mean_ms == doctest::Approx(50.5));
  CHECK(compute_stats({10, 20, 30}).p50_ms == doctest::Approx(20));
}

TEST_CASE("one sample has no spread, no samples give zeros") {
  LatencyStats one = compute_stats({7.5});
  CHECK(one.n == 1);
  CHECK(one.mean_ms == 7.5);
  CHECK(one.p50_ms == 7.5);
  CHECK(one.p95_ms == 7.5);
  CHECK(one.stdev_ms == 0);
  LatencyStats none = compute_stats({});
  CHECK(none.n == 0);
  CHECK(none.mean_ms == 0);
  CHECK(none.max_ms == 0);
}

TEST_CASE("the 95% half-width uses Student's t for small n") {
  LatencyStats s;
  s.n = 3;
  s.mean_ms = 100;
  s.stdev_ms = 1;
  CHECK(ci95_half_width(s) == doctest::Approx(4.303 / std::sqrt(3.0)));
  s.n = 2;
  CHECK(ci95_half_width(s) == doctest::Approx(12.706 / std::sqrt(2.0)));
  s.n = 31;  // 30 degrees of freedom: the last table row
  CHECK(ci95_half_width(s) == doctest::Approx(2.042 / std::sqrt(31.0)));
  s.n = 100;  // 99 df: the 60-df value, wider than 1.96
  s.stdev_ms = 10;
  CHECK(ci95_half_width(s) == doctest::Approx(2.000));
  s.n = 100000;
  CHECK(ci95_half_width(s) == doctest::Approx(1.96 * 10 / std::sqrt(100000.0)));
  s.n = 1;
  CHECK(std::isinf(ci95_half_width(s)));
}

TEST_CASE("stable_within wants n >= 3 and a tight interval") {
  LatencyStats s = compute_stats({100, 101, 99});  // half-width 4.303 / sqrt(3) = 2.48
  CHECK(stable_within(s, 0.03));
  CHECK_FALSE(stable_within(s, 0.02));
  CHECK_FALSE(stable_within(compute_stats({5, 5}), 0.5));  // no spread, but only 2 samples
  CHECK(stable_within(compute_stats({5, 5, 5}), 0.001));
  CHECK_FALSE(stable_within(compute_stats({1, 10, 100, 3}), 0.5));
}

TEST_CASE("stats round-trip through JSON exactly") {
  LatencyStats s = compute_stats({1.1, 2.2, 3.3000000000000003, 0.1});
  nlohmann::json j = s;
  CHECK(j["n"] == 4);
  LatencyStats back = nlohmann::json::parse(j.dump()).get<LatencyStats>();
  CHECK(back == s);
  j.erase("p95_ms");
  CHECK_THROWS_AS(j.get<LatencyStats>(), nlohmann::json::exception);
}
