#include <doctest/doctest.h>

#include "plan/scheduler.h"
#include "plan_fixtures.h"

using namespace llama;
using plan_test::choice;
using plan_test::job;
using plan_test::op;

namespace {

// decode (1 ms a frame) -> detect (40 ms for one, or 100 ms for a batch of 4: cheaper per
// item) -> sink.
plan::JobModel model() {
  return job({op("decode", {}, {choice(1)}), op("detect", {0}, {choice(40, 1), choice(100, 4)}),
              op("sink", {1}, {choice(0.1)})},
             {{0, 1, 2}}, 100, 2);
}

}  // namespace

TEST_CASE("delayed batching waits only while the earliest deadline still holds") {
  plan::JobModel m = model();
  plan::Scheduler s(m, {0, 0, 0}, {});
  s.arrived(1, 1, 0.00);
  s.arrived(1, 1, 0.01);  // an item every 10 ms
  std::vector<plan::OpQueue> queues(3);
  queues[1].deadlines = {10.0};  // one item waiting, due in 10 s

  // Waiting for 3 more (30 ms) and running the batch (100 ms) fits 10 s: detect waits, and
  // the decoder runs to bring the items.
  std::optional<plan::Decision> d = s.next(queues, {2, 0}, 0.02);
  REQUIRE(d);
  CHECK(d->op == 0);

  // Due in 50 ms: waiting would break it. Detect runs now, on the one item, at a config
  // that fits (40 ms).
  queues[1].deadlines = {0.07};
  d = s.next(queues, {2, 0}, 0.02);
  REQUIRE(d);
  CHECK(d->op == 1);
  CHECK(d->items == 1);
  CHECK(m.ops[1].choices[d->choice].latency_ms <= 50);
  CHECK(d->deadline_s == doctest::Approx(0.07));

  // Nothing upstream will bring more: no waiting, whatever the slack.
  queues[1].deadlines = {10.0};
  queues[0].source_done = true;
  d = s.next(queues, {2, 0}, 0.02);
  REQUIRE(d);
  CHECK(d->op == 1);
}

TEST_CASE("deeper ops first; an op with state runs one invocation at a time; cores are held") {
  plan::JobModel m = model();
  plan::Scheduler s(m, {0, 0, 0}, {});
  std::vector<plan::OpQueue> queues(3);
  queues[1].deadlines = {1.0, 1.0, 1.0, 1.0};
  queues[2].deadlines = {1.0};
  std::optional<plan::Decision> d = s.next(queues, {2, 0}, 0);
  REQUIRE(d);
  CHECK(d->op == 2);  // the sink, deepest
  queues[2].running = 1;
  d = s.next(queues, {1, 0}, 0);
  REQUIRE(d);
  CHECK(d->op == 1);
  CHECK(d->items == 4);
  queues[1].running = 1;
  queues[1].deadlines = {1.0};
  d = s.next(queues, {1, 0}, 0);  // detect is running and not parallel: the decoder goes
  REQUIRE(d);
  CHECK(d->op == 0);
  CHECK_FALSE(s.next(queues, {0, 0}, 0));  // no free core: nothing starts
}
