#include <doctest/doctest.h>

#include "base/error.h"
#include "plan/job_model_json.h"
#include "plan/plan_fixtures.h"
#include "runtime/hindsight.h"
#include "runtime/simulator.h"

using namespace llama;
using plan_test::choice;
using plan_test::job;
using plan_test::op;

namespace {

// decode -> detect (parallel: a frame in 40 ms on one core, 4 in 100 ms, or a frame in 25 ms
// on 2 cores) -> sink; 200 frames on 4 cores.
plan::JobModel model() {
  plan::JobModel m = job({op("decode", {}, {choice(2)}),
                          op("detect", {0}, {choice(40), choice(100, 4), choice(25, 1, 2)}, 2),
                          op("sink", {1}, {choice(0.1)})},
                         {{0, 1, 2}}, 200, 4);
  m.ops[1].parallel = true;
  for (plan::OpModel& o : m.ops)
    for (plan::Choice& c : o.choices) c.stdev_ms = 0.1 * c.latency_ms;
  return m;
}

// A journal of a run on `m` whose calls all took `slower` times the profile's prediction and
// whose detector made `fanout` items a frame.
nlohmann::json recorded(const plan::JobModel& m, double slo_s, double slower, double fanout) {
  plan::JobModel truth = m;
  truth.ops[1].fanout = fanout;
  plan::Plan p = plan::plan_job(m, plan::Objective::slo, plan_test::slo(slo_s));
  runtime::SimOptions options;
  options.journal = true;
  options.latency = [&](int o, int c, int items, std::mt19937_64&) {
    return m.ops[o].latency_ms_at(c, items) / 1000 * slower;
  };
  // The core plans with `m` (the profile); the draws and fan-out are the truth.
  runtime::SimResult r = runtime::simulate(truth, p.choice, plan_test::slo(slo_s), options);
  r.journal["model"] = plan::to_json(m);
  return r.journal;
}

}  // namespace

TEST_CASE(
    "hindsight learns the run's latencies and fan-out, and finds the cheapest plan that met") {
  plan::JobModel m = model();
  nlohmann::json journal = recorded(m, 20, 2.0, 3.0);
  runtime::Hindsight h = runtime::hindsight(journal, "trace.json");
  CHECK(h.slo == spec::LatencyTarget(20));
  CHECK(h.calls_measured > 200);
  // Twice the profile's latency, three items a frame where the profile said two.
  CHECK(h.model.ops[1].choices[0].latency_ms == doctest::Approx(80).epsilon(0.01));
  CHECK(h.model.ops[1].fanout == doctest::Approx(3));
  REQUIRE(h.best >= 0);
  REQUIRE_FALSE(h.plans.empty());
  const runtime::HindsightPlan& best = h.plans[h.best];
  CHECK(best.met);
  CHECK(best.latency_s <= 20);
  for (const runtime::HindsightPlan& p : h.plans)
    if (p.met) CHECK(best.usd <= p.usd);
  // Loose: the cheapest plan, detect in batches of 4.
  CHECK(best.choice[1] == 1);
}

TEST_CASE("hindsight under an SLO no plan meets says none did") {
  nlohmann::json journal = recorded(model(), 0.5, 2.0, 2.0);
  runtime::Hindsight h = runtime::hindsight(journal, "trace.json");
  CHECK(h.best == -1);
  CHECK_FALSE(h.plans.empty());
}

TEST_CASE("a damaged journal is refused naming the file") {
  nlohmann::json journal = recorded(model(), 20, 1.0, 2.0);
  journal["events"] = {{"ended", 0.0, 12345, 0.1, true}};
  CHECK_THROWS_WITH_AS(runtime::hindsight(journal, "t.json"),
                       doctest::Contains("t.json: the replay journal is damaged"), Error);
}
