// Each of the scheduler's policies alone, on one op's turn (scheduler.h lists them in order).
#include <doctest/doctest.h>

#include "plan/plan_fixtures.h"
#include "runtime/scheduler.h"

using namespace llama;
using plan_test::choice;
using plan_test::job;
using plan_test::op;

namespace {

// decode -> detect (parallel: 40 ms a frame on one core; 4 frames in 100 ms; a frame on 2
// cores in 25 ms) -> sink, on 4 cores; the plan runs detect one frame a call on one core.
plan::JobModel model() {
  plan::JobModel m = job({op("decode", {}, {choice(1)}),
                          op("detect", {0}, {choice(40, 1), choice(100, 4), choice(25, 1, 2)}),
                          op("sink", {1}, {choice(0.1)})},
                         {{0, 1, 2}}, 100, 4);
  m.ops[1].parallel = true;
  return m;
}

runtime::SchedulerOptions with(plan::Objective objective, double slo_s = 0) {
  runtime::SchedulerOptions o;
  o.objective = objective;
  o.slo = plan_test::slo(slo_s);
  return o;
}

// Detect's turn with `due` deadlines waiting, `cores` free, at time 0.
struct Fixture {
  plan::JobModel m = model();
  std::vector<runtime::OpQueue> queues = std::vector<runtime::OpQueue>(3);
  runtime::Scheduler s;
  explicit Fixture(runtime::SchedulerOptions options) : s(m, {0, 0, 0}, options) {}
  runtime::View view(double cores, bool may_wait = true) {
    size_t backlog = 0;
    for (const runtime::OpQueue& q : queues) backlog += q.deadlines.size();
    return runtime::View{queues, {cores, 0}, 0, may_wait, backlog};
  }
};

}  // namespace

TEST_CASE("within_slack: the cheapest config that fits the slack and the free cores") {
  Fixture f(with(plan::Objective::slo));
  f.queues[1].deadlines.assign(4, 10.0);
  runtime::View v = f.view(4);
  runtime::Turn t = f.s.turn(v, 1);
  CHECK(f.s.within_slack(v, t) == runtime::Verdict::go_on);
  CHECK(t.choice == 1);                   // 4 frames in 100 ms: the cheapest a frame
  f.queues[1].deadlines.assign(4, 0.03);  // only the 2-core call ends in 30 ms
  t = f.s.turn(v, 1);
  f.s.within_slack(v, t);
  CHECK(t.choice == 2);
  runtime::View none = f.view(0);
  t = f.s.turn(none, 1);
  CHECK(f.s.within_slack(none, t) == runtime::Verdict::wait);  // no config fits no core
}

TEST_CASE("cost_bound: a parallel op stays near the plan's cost per item while more comes") {
  Fixture f(with(plan::Objective::slo));
  f.queues[1].deadlines.assign(1, 0.03);
  runtime::View v = f.view(4);
  runtime::Turn t = f.s.turn(v, 1);
  f.s.within_slack(v, t);
  CHECK(t.choice == 2);  // the slack alone takes the 2-core call: 50 core-ms a frame
  CHECK(f.s.cost_bound(v, t) == runtime::Verdict::go_on);
  CHECK(t.choice != 2);  // over 1.1x the plan's 40 core-ms a frame
  CHECK(t.within.size() == 3);
  CHECK_FALSE(t.within[2]);
  // Nothing more coming: the job ends with this call, and no bound holds it back.
  f.queues[0].source_done = true;
  t = f.s.turn(v, 1);
  f.s.within_slack(v, t);
  f.s.cost_bound(v, t);
  CHECK(t.last);
  CHECK(t.choice == 2);
}

TEST_CASE("run_ahead: the cheapest call ahead of the pace while the job still ends in time") {
  Fixture loose(with(plan::Objective::slo, 100));
  loose.queues[1].deadlines.assign(4, 0.05);  // the front frames' pace: 50 ms
  runtime::View v = loose.view(4);
  runtime::Turn t = loose.s.turn(v, 1);
  loose.s.within_slack(v, t);
  loose.s.cost_bound(v, t);
  CHECK(t.choice == 0);  // the pace allows one frame in 40 ms
  loose.s.run_ahead(v, t);
  CHECK(t.choice == 1);  // 4 frames in 100 ms: past the pace, but the job has 100 s

  Fixture tight(with(plan::Objective::slo, 0.05));
  tight.queues[1].deadlines.assign(4, 0.05);
  runtime::View w = tight.view(4);
  t = tight.s.turn(w, 1);
  tight.s.within_slack(w, t);
  tight.s.cost_bound(w, t);
  tight.s.run_ahead(w, t);
  CHECK(t.choice == 0);  // the job's own deadline is 50 ms away: no running ahead
}

TEST_CASE("fast_plan: the fastest plan's config; the shortest call for the last items") {
  plan::JobModel m = model();
  std::vector<runtime::OpQueue> queues(3);
  runtime::Scheduler s(m, {0, 1, 0}, with(plan::Objective::fast));  // the plan: batches of 4
  queues[1].deadlines.assign(4, 1.0);
  runtime::View v{queues, {4, 0}, 0, true, 4};
  runtime::Turn t = s.turn(v, 1);
  s.within_slack(v, t);
  CHECK(t.choice == 2);  // the allocator alone: the least time a frame
  s.fast_plan(v, t);
  CHECK(t.choice == 1);
  CHECK_FALSE(t.tail);
  queues[0].source_done = true;
  queues[1].deadlines.assign(1, 1.0);
  v.backlog = 1;
  t = s.turn(v, 1);
  s.within_slack(v, t);
  s.fast_plan(v, t);
  CHECK(t.tail);
  CHECK(t.choice == 2);  // the job ends with this frame: the shortest call
}

TEST_CASE("wait_for_faster: wait for a busy GPU over twice as fast, unless told not to wait") {
  plan::JobModel m =
      job({op("decode", {}, {choice(1)}), op("detect", {0}, {choice(400), choice(10, 1, 1, 1)}),
           op("sink", {1}, {choice(0.1)})},
          {{0, 1, 2}}, 100, 2, 1);
  std::vector<runtime::OpQueue> queues(3);
  queues[1].deadlines = {0.2};
  runtime::Scheduler s(m, {0, 1, 0}, with(plan::Objective::slo));
  runtime::View busy{queues, {2, 0}, 0, true, 1};  // the GPU is taken
  runtime::Turn t = s.turn(busy, 1);
  s.within_slack(busy, t);
  CHECK(t.choice == 0);
  CHECK(s.wait_for_faster(busy, t) == runtime::Verdict::wait);
  busy.may_wait = false;
  CHECK(s.wait_for_faster(busy, t) == runtime::Verdict::go_on);
}

TEST_CASE("batching: wait for a fuller batch only while items are coming and the slack holds") {
  Fixture f(with(plan::Objective::cheap));
  f.s.arrived(1, 1, 0.00);
  f.s.arrived(1, 1, 0.01);  // an item every 10 ms
  f.queues[1].deadlines = {10.0};
  runtime::View v = f.view(4);
  runtime::Turn t = f.s.turn(v, 1);
  f.s.within_slack(v, t);
  CHECK(f.s.batching(v, t) == runtime::Verdict::wait);  // 3 more in 30 ms, then 100 ms
  f.queues[1].deadlines = {0.05};
  t = f.s.turn(v, 1);
  f.s.within_slack(v, t);
  CHECK(f.s.batching(v, t) == runtime::Verdict::go_on);  // the wait would miss 50 ms
  f.queues[1].deadlines = {10.0};
  f.queues[0].source_done = true;
  t = f.s.turn(v, 1);
  f.s.within_slack(v, t);
  CHECK(f.s.batching(v, t) == runtime::Verdict::go_on);  // nothing more is coming
  runtime::View no_wait = f.view(4, false);
  f.queues[0].source_done = false;
  t = f.s.turn(no_wait, 1);
  f.s.within_slack(no_wait, t);
  CHECK(f.s.batching(no_wait, t) == runtime::Verdict::go_on);
}
