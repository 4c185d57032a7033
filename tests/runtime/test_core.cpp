#include <doctest/doctest.h>

#include <cmath>

#include "plan/plan_fixtures.h"
#include "runtime/core.h"

using namespace llama;
using plan_test::choice;
using plan_test::job;
using plan_test::op;

namespace {

// decode (batch 2) -> detect (parallel, 100 ms +- 10) -> sink, 6 frames on 2 cores.
plan::JobModel chain() {
  plan::Choice detect = choice(100);
  detect.stdev_ms = 10;
  plan::JobModel m = job(
      {op("decode", {}, {choice(1, 2)}), op("detect", {0}, {detect}), op("sink", {1}, {choice(1)})},
      {{0, 1, 2}}, 6, 2);
  m.ops[1].parallel = true;
  return m;
}

runtime::CoreOptions options(double slo_s = 0, plan::Objective objective = plan::Objective::fixed) {
  runtime::CoreOptions o;
  o.scheduler.objective = objective;
  o.scheduler.slo = plan_test::slo(slo_s);
  return o;
}

}  // namespace

TEST_CASE("the core starts a source, and the frames it made wait at the next op with deadlines") {
  runtime::VirtualClock clock;
  runtime::Core core(chain(), {0, 0, 0}, clock, options(6));
  std::optional<runtime::Start> s = core.next();
  REQUIRE(s);
  CHECK(s->op == 0);
  CHECK(s->items == 2);
  CHECK_FALSE(s->copy);
  CHECK(core.in_flight() == 1);
  CHECK(core.queue(0).running == 1);
  // Frame i of 6 is due at fill + (6 - fill) x (i + 1) / 6: later frames later.
  const std::vector<double>& due = core.made(s->call, 2);
  REQUIRE(due.size() == 2);
  CHECK(due[0] < due[1]);
  CHECK(due[1] <= 6);
  CHECK(core.frames_made() == 2);
  clock.advance_to(0.001);
  runtime::Core::Ended e = core.ended(s->run, 0.001, true);
  CHECK(e.delivered);
  CHECK(e.cancel == -1);
  CHECK(core.in_flight() == 0);
  CHECK(core.queue(0).running == 0);
  core.arrived(1, core.deadlines(s->call), 2);
  CHECK(core.queue(1).deadlines.size() == 2);
  CHECK(core.queue(1).deadlines.front() == doctest::Approx(due[0]));
}

TEST_CASE("without an SLO nothing is ever due") {
  runtime::VirtualClock clock;
  runtime::Core core(chain(), {0, 0, 0}, clock, options());
  std::optional<runtime::Start> s = core.next();
  REQUIRE(s);
  for (double d : core.made(s->call, 2)) CHECK(std::isinf(d));
}

TEST_CASE("a call that straggles gets a copy once resources are free; the first result wins") {
  runtime::VirtualClock clock;
  runtime::Core core(chain(), {0, 0, 0}, clock, options());
  core.source_done(0);
  core.arrived(1, {1e9, 1e9}, 2);
  std::optional<runtime::Start> a = core.next();
  std::optional<runtime::Start> b = core.next();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->op == 1);
  CHECK(b->op == 1);
  // Past max(mean + 3 sd, 2 x mean) = 200 ms of its start.
  CHECK(a->straggler_at_s == doctest::Approx(0.2));
  CHECK_FALSE(core.next());  // both cores busy
  clock.advance_to(0.1);
  CHECK(core.ended(b->run, 0.1, true).delivered);
  CHECK_FALSE(core.next());  // a core is free, but `a` does not straggle yet
  clock.advance_to(0.25);
  std::optional<runtime::Start> copy = core.next();
  REQUIRE(copy);
  CHECK(copy->copy);
  CHECK(copy->call == a->call);
  CHECK(core.copies(a->call) == 2);
  CHECK(core.in_flight() == 2);
  CHECK_FALSE(core.next());  // one copy a call
  clock.advance_to(0.3);
  runtime::Core::Ended won = core.ended(copy->run, 0.05, true);
  CHECK(won.delivered);
  CHECK(won.cancel == a->run);  // still running, and its result no longer counts
  CHECK(core.queue(1).running == 0);
  clock.advance_to(0.5);
  CHECK_FALSE(core.ended(a->run, 0.5, true).delivered);  // lost: its result is dropped
  CHECK(core.in_flight() == 0);
}

TEST_CASE("a failed copy runs again in place, unless the other copy still runs") {
  runtime::VirtualClock clock;
  runtime::Core core(chain(), {0, 0, 0}, clock, options());
  core.source_done(0);
  core.arrived(1, {1e9}, 1);
  std::optional<runtime::Start> a = core.next();
  REQUIRE(a);
  CHECK(core.failed(a->run));  // alone: again, holding its core
  CHECK(core.in_flight() == 1);
  clock.advance_to(0.3);
  std::optional<runtime::Start> copy = core.next();
  REQUIRE(copy);
  REQUIRE(copy->copy);
  CHECK_FALSE(core.failed(a->run));  // the copy may still deliver: this one is over
  CHECK(core.over(a->run));
  CHECK(core.in_flight() == 1);
  CHECK(core.ended(copy->run, 0.1, true).delivered);
}

TEST_CASE("stop empties the queues and ends the sources; pausing them is undone") {
  runtime::VirtualClock clock;
  runtime::Core core(chain(), {0, 0, 0}, clock, options());
  CHECK_FALSE(core.sources_done());
  CHECK(core.pause_sources());
  CHECK(core.sources_done());
  CHECK_FALSE(core.next());  // a paused source starts nothing
  core.resume_sources();
  CHECK_FALSE(core.sources_done());
  core.arrived(1, {1, 2, 3}, 3);
  core.stop();
  CHECK(core.sources_done());
  CHECK(core.queue(1).deadlines.empty());
  CHECK_FALSE(core.next());
}

TEST_CASE("feedback: a call's latency moves the estimates, an unmeasured one does not") {
  runtime::VirtualClock clock;
  runtime::Core core(chain(), {0, 0, 0}, clock, options());
  core.source_done(0);
  core.arrived(1, {1e9, 1e9}, 2);
  std::optional<runtime::Start> a = core.next();
  std::optional<runtime::Start> b = core.next();
  REQUIRE(b);
  core.ended(a->run, 0.3, false);  // a cold start: not taken
  CHECK(core.estimates().ops[1].choices[0].latency_ms == doctest::Approx(100));
  core.ended(b->run, 0.3, true);  // 3x the prediction: the estimate moves a fifth of the way
  CHECK(core.estimates().ops[1].choices[0].latency_ms == doctest::Approx(140));
}
