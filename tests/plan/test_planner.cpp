#include <doctest/doctest.h>

#include <cmath>

#include "plan/planner.h"
#include "plan_fixtures.h"

using namespace llama;
using plan_test::choice;
using plan_test::job;
using plan_test::op;

TEST_CASE("a chain's estimate: items, invocations, work, bound and fill, worked by hand") {
  // decode 10 ms/frame -> detect (2 detections per frame) -> sink 1 ms per detection.
  plan::JobModel m =
      job({op("decode", {}, {choice(10)}), op("detect", {0}, {choice(40, 1), choice(100, 4)}, 2),
           op("sink", {1}, {choice(1)})},
          {{0, 1, 2}}, 100, 2);
  plan::JobEstimate b1 = plan::estimate(m, {0, 0, 0});
  CHECK(b1.ops[1].items_in == doctest::Approx(100));
  CHECK(b1.ops[2].items_in == doctest::Approx(200));
  CHECK(b1.ops[1].busy_s == doctest::Approx(4.0));
  CHECK(b1.cost.core_s == doctest::Approx(1.0 + 4.0 + 0.2));
  CHECK(b1.cpu_bound_s == doctest::Approx(2.6));
  CHECK(b1.bound == "op detect");  // one op runs one invocation at a time: 4 s > 5.2/2
  CHECK(b1.fill_s == doctest::Approx(0.051));
  CHECK(b1.latency_s == doctest::Approx(4.051));
  CHECK(b1.cost.dollars == doctest::Approx(5.2e-5));

  plan::JobEstimate b4 = plan::estimate(m, {0, 1, 0});
  CHECK(b4.ops[1].invocations == doctest::Approx(25));
  CHECK(b4.ops[1].busy_s == doctest::Approx(2.5));
  CHECK(b4.fill_s == doctest::Approx(0.111));  // a batch of 4 takes longer to get through
  CHECK(b4.latency_s == doctest::Approx(2.611));
}

TEST_CASE("branch rates and fan-out carry through a diamond") {
  plan::JobModel m = job({op("decode", {}, {choice(10)}), op("left", {0}, {choice(2)}, 1, 0.25),
                          op("right", {0}, {choice(3)}, 3), op("sink", {1, 2}, {choice(1)})},
                         {{0, 1, 3}, {0, 2, 3}}, 100, 2);
  plan::JobEstimate e = plan::estimate(m, {0, 0, 0, 0});
  CHECK(e.ops[1].items_in == doctest::Approx(25));
  CHECK(e.ops[2].items_in == doctest::Approx(100));
  CHECK(e.ops[3].items_in == doctest::Approx(25 + 300));
  CHECK(e.fill_s == doctest::Approx(0.014));  // the slower path: 10 + 3 + 1 ms
}

TEST_CASE("fastest, cheapest, and the SLO between them") {
  // One core at 100 ms, or two cores at 60 ms: faster, and 20% more core-seconds.
  plan::JobModel m =
      job({op("decode", {}, {choice(1)}), op("detect", {0}, {choice(100, 1, 1), choice(60, 1, 2)})},
          {{0, 1}}, 100, 2);
  CHECK(plan::cheapest(m) == plan::Assignment{0, 0});
  CHECK(plan::fastest(m) == plan::Assignment{0, 1});
  CHECK(plan::estimate(m, {0, 0}).latency_s == doctest::Approx(10.101));
  CHECK(plan::estimate(m, {0, 1}).latency_s == doctest::Approx(6.05 + 0.061));

  plan::Plan loose = plan::plan_job(m, plan::Objective::slo, plan_test::slo(20));
  CHECK(loose.choice == plan::Assignment{0, 0});
  CHECK(loose.feasible);
  CHECK(loose.predicted.cost.dollars == doctest::Approx(loose.cheapest.cost.dollars));

  plan::Plan tight = plan::plan_job(m, plan::Objective::slo, plan_test::slo(8));
  CHECK(tight.choice == plan::Assignment{0, 1});
  CHECK(tight.feasible);
  CHECK(tight.runner_up == plan::Assignment{-1, 0});

  plan::Plan impossible = plan::plan_job(m, plan::Objective::slo, plan_test::slo(1));
  CHECK_FALSE(impossible.feasible);
  CHECK(impossible.choice == plan::fastest(m));  // runs the fastest plan
  CHECK(impossible.fastest.latency_s == doctest::Approx(6.111));
  // An infeasible SLO runs as fast does; a feasible one, and the other objectives, as planned.
  CHECK(plan::runtime_objective(impossible) == plan::Objective::fast);
  CHECK(plan::runtime_objective(tight) == plan::Objective::slo);
  CHECK(plan::runtime_objective(plan::plan_job(m, plan::Objective::cheap, plan_test::slo(1))) ==
        plan::Objective::cheap);

  CHECK(plan::plan_job(m, plan::Objective::fixed, plan_test::slo(0)).choice ==
        plan::Assignment{0, 0});
  CHECK(plan::plan_job(m, plan::Objective::fast, plan_test::slo(0)).choice ==
        plan::Assignment{0, 1});
  CHECK(plan::plan_job(m, plan::Objective::cheap, plan_test::slo(0)).choice ==
        plan::Assignment{0, 0});
}

TEST_CASE("the spread of a prediction: sqrt(calls) x a call's, on the bound and the fill") {
  plan::Choice call = choice(100);
  call.stdev_ms = 20;
  plan::JobModel m =
      job({op("decode", {}, {choice(1)}), op("detect", {0}, {call})}, {{0, 1}}, 100, 2);
  // One invocation at a time: 100 calls in a row vary by sqrt(100) x 20 ms.
  plan::JobEstimate alone = plan::estimate(m, {0, 0});
  CHECK(alone.bound == "op detect");
  CHECK(alone.latency_sd_s == doctest::Approx(std::sqrt(100 * 0.02 * 0.02 + 0.02 * 0.02)));
  // In parallel on 2 cores: the same core-seconds spread over both.
  m.ops[1].parallel = true;
  plan::JobEstimate spread = plan::estimate(m, {0, 0});
  CHECK(spread.bound == "cpu");
  CHECK(spread.latency_sd_s == doctest::Approx(std::sqrt(100 * 0.02 * 0.02 / 4 + 0.02 * 0.02)));
}

TEST_CASE("an SLO no plan meets: the cheapest plan within the fastest's spread of it runs") {
  // A 2-core call 5% faster than a 1-core one, for 1.9x the core-seconds.
  auto model = [](double stdev_ms) {
    plan::Choice one = choice(100, 1, 1), two = choice(95, 1, 2);
    one.stdev_ms = two.stdev_ms = stdev_ms;
    return job({op("decode", {}, {choice(1)}), op("detect", {0}, {one, two})}, {{0, 1}}, 100, 2);
  };
  // Calls that vary little: the 0.5 s the 2-core call saves is real, and worth its price when
  // the SLO is missed anyway.
  plan::Plan steady = plan::plan_job(model(1), plan::Objective::slo, plan_test::slo(5));
  CHECK_FALSE(steady.feasible);
  CHECK(steady.choice == plan::Assignment{0, 1});
  // Calls that vary by 60 ms: the job by 0.6 s either way, more than the 0.5 s saved.
  plan::Plan noisy = plan::plan_job(model(60), plan::Objective::slo, plan_test::slo(5));
  CHECK_FALSE(noisy.feasible);
  CHECK(noisy.fastest.latency_sd_s == doctest::Approx(0.603).epsilon(0.01));
  CHECK(noisy.choice == plan::Assignment{0, 0});
  CHECK(noisy.predicted.cost.dollars < noisy.fastest.cost.dollars);
  // fast is still the fastest plan, whatever it costs.
  CHECK(plan::plan_job(model(60), plan::Objective::fast, plan_test::slo(5)).choice ==
        plan::Assignment{0, 1});
}

TEST_CASE("two ops tied as the bottleneck are both upgraded, each the cheapest way that meets") {
  // A and B take 10 s each at one core. A can go to 2 cores at 50 ms (no extra core-seconds);
  // B to 4 cores at 50 ms (twice the core-seconds) or 2 cores at 55 ms (10% more).
  plan::JobModel m =
      job({op("decode", {}, {choice(1)}), op("a", {0}, {choice(100, 1, 1), choice(50, 1, 2)}),
           op("b", {0}, {choice(100, 1, 1), choice(50, 1, 4), choice(55, 1, 2)})},
          {{0, 1}, {0, 2}}, 100, 8);
  plan::Plan p = plan::plan_job(m, plan::Objective::slo, plan_test::slo(6));
  CHECK(p.feasible);
  CHECK(p.choice == plan::Assignment{0, 1, 2});
  CHECK(p.predicted.latency_s <= 6);
  CHECK(p.predicted.cost.dollars < p.fastest.cost.dollars);
  // B's runner-up: the 4-core config also meets 6 s, at a higher cost.
  CHECK(p.runner_up[2] == 1);
}

TEST_CASE("the pool's capacity counts: 64 cores meet an SLO that 2 cannot") {
  std::vector<plan::OpModel> ops{op("decode", {}, {choice(1)})};
  std::vector<std::vector<int>> paths;
  for (int k = 1; k <= 8; ++k) {
    ops.push_back(op("branch" + std::to_string(k), {0}, {choice(100)}));
    paths.push_back({0, k});
  }
  plan::JobModel small = job(ops, paths, 100, 2);
  plan::JobModel big = job(ops, paths, 100, 64);
  plan::JobEstimate on_small = plan::estimate(small, plan::first_values(small));
  CHECK(on_small.bound == "cpu");
  CHECK(on_small.latency_s == doctest::Approx(80.1 / 2 + 0.101));
  CHECK(plan::estimate(big, plan::first_values(big)).latency_s == doctest::Approx(10.101));
  CHECK_FALSE(plan::plan_job(small, plan::Objective::slo, plan_test::slo(15)).feasible);
  CHECK(plan::plan_job(big, plan::Objective::slo, plan_test::slo(15)).feasible);
}

TEST_CASE("a GPU config: fastest, but not the cheapest; chosen when the SLO needs it") {
  plan::JobModel m = job(
      {op("decode", {}, {choice(1)}), op("detect", {0}, {choice(100, 1, 1), choice(5, 1, 1, 1)})},
      {{0, 1}}, 100, 2, 1);
  plan::JobEstimate gpu = plan::estimate(m, {0, 1});
  CHECK(gpu.cost.gpu_s == doctest::Approx(0.5));
  CHECK(gpu.cost.dollars == doctest::Approx(0.6 * 1e-5 + 0.5 * 1e-3));
  CHECK(plan::fastest(m) == plan::Assignment{0, 1});
  CHECK(plan::cheapest(m) == plan::Assignment{0, 0});
  CHECK(plan::plan_job(m, plan::Objective::slo, plan_test::slo(5)).choice ==
        plan::Assignment{0, 1});
  CHECK(plan::plan_job(m, plan::Objective::slo, plan_test::slo(60)).choice ==
        plan::Assignment{0, 0});
}

TEST_CASE("on random chains, every SLO from fast to cheap is met at no more than fast's cost") {
  // A seeded generator: the same 200 models every run.
  uint64_t state = 42;
  auto uniform = [&](double lo, double hi) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (hi - lo) * static_cast<double>(state >> 11) / static_cast<double>(1ULL << 53);
  };
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<plan::OpModel> ops = {op("decode", {}, {choice(uniform(1, 5))})};
    std::vector<int> path = {0};
    int n = 2 + trial % 3;
    for (int i = 1; i < n; ++i) {
      std::vector<plan::Choice> choices;
      for (int k = 0; k < 4; ++k) {
        int cores = 1 + static_cast<int>(uniform(0, 3.99));
        int batch = 1 << static_cast<int>(uniform(0, 3.99));
        choices.push_back(
            choice(uniform(5, 100) * batch / cores, batch, cores, uniform(0, 1) < 0.2));
      }
      ops.push_back(op("op" + std::to_string(i), {i - 1}, choices, uniform(0.5, 3)));
      ops.back().parallel = uniform(0, 1) < 0.5;
      path.push_back(i);
    }
    plan::JobModel m = job(ops, {path}, 200, 4, 1);
    plan::Plan probe = plan::plan_job(m, plan::Objective::fast, plan_test::slo(0));
    double fast_s = probe.fastest.latency_s, cheap_s = probe.cheapest.latency_s;
    for (double at : {0.0, 0.25, 0.5, 0.75, 1.0}) {
      double slo = fast_s + at * (cheap_s - fast_s);
      plan::Plan p = plan::plan_job(m, plan::Objective::slo, plan_test::slo(slo * (1 + 1e-9)));
      INFO("trial " << trial << " at " << at);
      CHECK(p.feasible);
      CHECK(p.predicted.latency_s <= slo * (1 + 1e-9));
      CHECK(p.predicted.cost.dollars <= probe.fastest.cost.dollars * (1 + 1e-9));
    }
  }
}
