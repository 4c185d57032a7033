#include <doctest/doctest.h>

#include "plan/plan_fixtures.h"
#include "runtime/allocator.h"
#include "runtime/manager.h"
#include "runtime/slack.h"

using namespace llama;
using plan_test::choice;
using plan_test::job;
using plan_test::op;

TEST_CASE("slack on a chain: each op's share of the rest of the path") {
  plan::JobModel m =
      job({op("a", {}, {choice(10)}), op("b", {0}, {choice(30)}), op("c", {1}, {choice(60)})},
          {{0, 1, 2}}, 100, 2);
  runtime::SlackModel slack(m);
  plan::Assignment a{0, 0, 0};
  CHECK(slack.slack_s(0, 1.0, a) == doctest::Approx(10.0 / 100));
  CHECK(slack.slack_s(1, 1.0, a) == doctest::Approx(30.0 / 90));
  CHECK(slack.slack_s(2, 1.0, a) == doctest::Approx(1.0));  // the last op gets all that is left
  CHECK(slack.slack_s(1, 0.45, a) == doctest::Approx(0.15));
}

TEST_CASE("slack on a diamond: the worst path wins") {
  // s -> l (10 ms) -> k, s -> r (40 ms) -> k; s and k 10 ms.
  plan::JobModel m = job({op("s", {}, {choice(10)}), op("l", {0}, {choice(10)}),
                          op("r", {0}, {choice(40)}), op("k", {1, 2}, {choice(10)})},
                         {{0, 1, 3}, {0, 2, 3}}, 100, 2);
  runtime::SlackModel slack(m);
  plan::Assignment a{0, 0, 0, 0};
  CHECK(slack.slack_s(0, 1.0, a) == doctest::Approx(10.0 / 60));  // not 10/30
  CHECK(slack.slack_s(1, 1.0, a) == doctest::Approx(10.0 / 20));
  CHECK(slack.slack_s(2, 1.0, a) == doctest::Approx(40.0 / 50));
}

TEST_CASE("slack with a conditional branch: a branch taken half the time counts half") {
  plan::JobModel m =
      job({op("a", {}, {choice(10)}), op("b", {0}, {choice(90)}, 1, 0.5)}, {{0, 1}}, 100, 2);
  runtime::SlackModel slack(m);
  CHECK(slack.expected_latency_s(0, 0, 1, {0, 0}) == doctest::Approx(0.045));
  CHECK(slack.slack_s(0, 1.0, {0, 0}) == doctest::Approx(10.0 / 55));
}

TEST_CASE("slack with fan-out: more items downstream take more invocations, fewer when batched") {
  // a makes 4 items per item; b takes them one at a time (20 ms) or 4 at a time (40 ms).
  plan::JobModel m =
      job({op("a", {}, {choice(10)}, 4), op("b", {0}, {choice(20, 1), choice(40, 4)})}, {{0, 1}},
          100, 2);
  runtime::SlackModel slack(m);
  CHECK(slack.slack_s(0, 1.0, {0, 0}) == doctest::Approx(10.0 / 90));
  CHECK(slack.slack_s(0, 1.0, {0, 1}) == doctest::Approx(10.0 / 50));
  // The feedback case: a crowded scene doubles the fan-out, and a's slack shrinks.
  m.ops[0].fanout = 8;
  CHECK(slack.slack_s(0, 1.0, {0, 0}) == doctest::Approx(10.0 / 170));
}

TEST_CASE("config choice at a given slack: cheapest that fits, else the fastest per item") {
  // 1 core 100 ms (0.1 core-s), 2 cores 60 ms (0.12), 4 cores 50 ms (0.2).
  plan::JobModel m =
      job({op("d", {}, {choice(100, 1, 1), choice(60, 1, 2), choice(50, 1, 4)})}, {{0}}, 100, 4);
  const plan::OpModel& d = m.ops[0];
  CHECK(runtime::choose_config(d, 0.2, plan::Objective::slo, m) == 0);
  CHECK(runtime::choose_config(d, 0.1, plan::Objective::slo, m) == 0);
  CHECK(runtime::choose_config(d, 0.07, plan::Objective::slo, m) == 1);
  CHECK(runtime::choose_config(d, 0.055, plan::Objective::slo, m) == 2);
  CHECK(runtime::choose_config(d, 0.01, plan::Objective::slo, m) == 2);  // none fits: fastest
  CHECK(runtime::choose_config(d, 10, plan::Objective::fast, m) == 2);
  CHECK(runtime::choose_config(d, 0.001, plan::Objective::cheap, m) == 0);
  CHECK(runtime::choose_config(d, 0.001, plan::Objective::fixed, m) == 0);
}

TEST_CASE("config choice counts cost per item: a batch can be cheaper and still fit") {
  // batch 1: 40 ms; batch 4: 100 ms (25 ms per item).
  plan::JobModel m = job({op("d", {}, {choice(40, 1), choice(100, 4)})}, {{0}}, 100, 2);
  CHECK(runtime::choose_config(m.ops[0], 0.2, plan::Objective::slo, m) == 1);
  CHECK(runtime::choose_config(m.ops[0], 0.05, plan::Objective::slo, m) == 0);
  // None fits: the most items a second, not the shortest call.
  CHECK(runtime::choose_config(m.ops[0], 0.01, plan::Objective::slo, m) == 1);
  CHECK(runtime::choose_config(m.ops[0], 0.01, plan::Objective::fast, m) == 1);
}

TEST_CASE("fewer items than the batch: predicted between the measured batch sizes") {
  plan::JobModel m =
      job({op("d", {}, {choice(40, 1), choice(100, 4), choice(180, 8)})}, {{0}}, 1, 2);
  const plan::OpModel& d = m.ops[0];
  CHECK(d.latency_ms_at(1, 4) == doctest::Approx(100));
  CHECK(d.latency_ms_at(1, 2) == doctest::Approx(60));  // between batch 1 and 4
  CHECK(d.latency_ms_at(2, 6) == doctest::Approx(140));
  CHECK(d.latency_ms_at(0, 1) == doctest::Approx(40));
  // Two items on hand: the batch-4 config runs them in 60 ms, 30 ms an item.
  CHECK(runtime::choose_config(d, 0.065, plan::Objective::slo, m, 2) == 1);
  // Only configs that fit the free resources are considered.
  CHECK(runtime::choose_config(d, 1, plan::Objective::slo, m, 8,
                               [](const plan::Choice& c) { return c.batch < 8; }) == 1);
  CHECK(runtime::choose_config(d, 1, plan::Objective::slo, m, 8,
                               [](const plan::Choice&) { return false; }) == -1);
}

TEST_CASE("behind the pace, a parallel op takes the most items per core-second") {
  // 1 core 100 ms (0.1 core-s an item) or 2 cores 60 ms (0.12): neither fits 10 ms.
  plan::JobModel m = job({op("d", {}, {choice(100, 1, 1), choice(60, 1, 2)})}, {{0}}, 100, 4);
  CHECK(runtime::choose_config(m.ops[0], 0.01, plan::Objective::slo, m) == 1);  // alone: fastest
  m.ops[0].parallel = true;
  CHECK(runtime::choose_config(m.ops[0], 0.01, plan::Objective::slo, m) == 0);  // copies: cheapest
}

TEST_CASE("a config set aside is never chosen again; its items go to the cheapest left") {
  // 1 core: batch 4 at 200 ms (50 ms an item), batch 1 at 60 ms; 2 cores: batch 1 at 40 ms.
  plan::JobModel m =
      job({op("d", {}, {choice(200, 4, 1), choice(60, 1, 1), choice(40, 1, 2)})}, {{0}}, 100, 2);
  m.ops[0].parallel = true;
  runtime::Manager manager(m);
  CHECK(runtime::choose_config(m.ops[0], 10, plan::Objective::cheap, m, 4) == 0);
  // The batch of 4 failed on its 1 core: the 2-core config does not fit in what is held.
  CHECK(manager.set_aside(0, 0, 4, {1, 0}) == 1);
  CHECK(m.ops[0].choices[0].set_aside);
  CHECK(runtime::choose_config(m.ops[0], 10, plan::Objective::cheap, m, 4) == 1);
  CHECK(runtime::choose_config(m.ops[0], 0.001, plan::Objective::fast, m, 4) == 2);
  // Holding both cores, the 2-core config is the one left when batch 1 fails too.
  CHECK(manager.set_aside(0, 1, 1, {2, 0}) == 2);
  CHECK(manager.set_aside(0, 2, 1, {2, 0}) == -1);
  CHECK(runtime::choose_config(m.ops[0], 10, plan::Objective::slo, m, 1) == -1);
  // A static plan's only config, set aside: nothing is left to run.
  plan::JobModel fixed = job({op("d", {}, {choice(60, 1, 1)})}, {{0}}, 100, 2);
  fixed.ops[0].choices[0].set_aside = true;
  CHECK(runtime::choose_config(fixed.ops[0], 10, plan::Objective::fixed, fixed) == -1);
}
