#include <doctest/doctest.h>

#include "plan/plan_fixtures.h"
#include "runtime/scheduler.h"

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
  runtime::Scheduler s(m, {0, 0, 0}, {});
  s.arrived(1, 1, 0.00);
  s.arrived(1, 1, 0.01);  // an item every 10 ms
  std::vector<runtime::OpQueue> queues(3);
  queues[1].deadlines = {10.0};  // one item waiting, due in 10 s

  // Waiting for 3 more (30 ms) and running the batch (100 ms) fits 10 s: detect waits, and
  // the decoder runs to bring the items.
  std::optional<runtime::Decision> d = s.next(queues, {2, 0}, 0.02);
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
  runtime::Scheduler s(m, {0, 0, 0}, {});
  std::vector<runtime::OpQueue> queues(3);
  queues[1].deadlines = {1.0, 1.0, 1.0, 1.0};
  queues[2].deadlines = {1.0};
  std::optional<runtime::Decision> d = s.next(queues, {2, 0}, 0);
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

TEST_CASE("a source that holds every core runs ahead whenever the pool is free") {
  // decode on 2 threads (both cores) -> detect on one core, parallel.
  plan::JobModel m = job({op("decode", {}, {choice(1, 1, 2)}), op("detect", {0}, {choice(40)}),
                          op("sink", {1}, {choice(0.1)})},
                         {{0, 1, 2}}, 100, 2);
  m.ops[1].parallel = true;
  runtime::Scheduler s(m, {0, 0, 0}, {});
  std::vector<runtime::OpQueue> queues(3);
  queues[1].deadlines = {1.0};
  // Deeper ops go first, but a detect started now would leave one core the decoder can not
  // use: the decoder runs first, so both cores have frames to detect later.
  std::optional<runtime::Decision> d = s.next(queues, {2, 0}, 0);
  REQUIRE(d);
  CHECK(d->op == 0);
  // With one core free it can not run: detect takes that core.
  d = s.next(queues, {1, 0}, 0);
  REQUIRE(d);
  CHECK(d->op == 1);
  // Items past the narrow op do not count: with a frame for each core waiting only at the
  // sink, detect would run dry as soon as both cores start, so the decoder still goes first.
  queues[1].deadlines.clear();
  queues[2].deadlines = {1.0, 1.0};
  d = s.next(queues, {2, 0}, 0);
  REQUIRE(d);
  CHECK(d->op == 0);
  // A batch for each core is not enough: once both cores take theirs, the decoder can not run
  // until both are free again, and a core that frees first finds nothing to detect.
  queues[2].deadlines.clear();
  queues[1].deadlines = {1.0, 1.0};
  d = s.next(queues, {2, 0}, 0);
  REQUIRE(d);
  CHECK(d->op == 0);
  // With two batches for each core it runs ahead no further: frames decoded long before they
  // are used come from memory, not the cache.
  queues[1].deadlines.assign(4, 1.0);
  d = s.next(queues, {2, 0}, 0);
  REQUIRE(d);
  CHECK(d->op == 1);

  // On 4 cores the 2-thread decoder finds 2 free often: a frame for each core is enough.
  plan::JobModel four = m;
  four.pool.cpus = 4;
  runtime::Scheduler on_four(four, {0, 0, 0}, {});
  queues[1].deadlines.assign(3, 1.0);
  d = on_four.next(queues, {4, 0}, 0);
  REQUIRE(d);
  CHECK(d->op == 0);
  queues[1].deadlines.assign(4, 1.0);
  d = on_four.next(queues, {4, 0}, 0);
  REQUIRE(d);
  CHECK(d->op == 1);

  // With no narrow op to fill a core it leaves idle, it takes its turn like any source.
  m.ops[1].choices = {choice(40, 1, 2)};
  runtime::Scheduler wide(m, {0, 0, 0}, {});
  queues[1].deadlines = {1.0};
  d = wide.next(queues, {2, 0}, 0);
  REQUIRE(d);
  CHECK(d->op == 1);
}

TEST_CASE("on a full pool a parallel op takes the cheapest per item, in the tail the fastest") {
  // detect, parallel, on one core: a frame in 60 ms, 4 in 100 ms (25 core-ms a frame); or one
  // frame on both cores in 30 ms (60 core-ms).
  plan::JobModel m = job({op("decode", {}, {choice(1)}),
                          op("detect", {0}, {choice(60), choice(100, 4), choice(30, 1, 2)}),
                          op("sink", {1}, {choice(0.1)})},
                         {{0, 1, 2}}, 100, 2);
  m.ops[1].parallel = true;
  runtime::Scheduler s(m, {0, 0, 0}, {});
  std::vector<runtime::OpQueue> queues(3);
  queues[0].source_done = true;
  // Due in 50 ms: only the 2-core call fits the slack. With 6 frames waiting it would hold
  // both cores for one frame while 5 wait: the batch of 4 goes instead.
  queues[1].deadlines.assign(6, 0.05);
  std::optional<runtime::Decision> d = s.next(queues, {2, 0}, 0);
  REQUIRE(d);
  CHECK(d->op == 1);
  CHECK(d->choice == 1);
  CHECK(d->items == 4);
  // The last frame: nothing else waits, so it runs on both cores and meets its deadline.
  queues[1].deadlines = {0.05};
  d = s.next(queues, {2, 0}, 0);
  REQUIRE(d);
  CHECK(d->choice == 2);
}

TEST_CASE("a busy GPU is waited for when the free CPU would be far slower") {
  // detect, parallel: 10 ms a frame on the GPU, 500 ms (or 15 ms) on a core.
  auto gpu_job = [](double cpu_ms) {
    plan::JobModel m = job(
        {op("decode", {}, {choice(1)}), op("detect", {0}, {choice(10, 1, 1, 1), choice(cpu_ms, 1)}),
         op("sink", {1}, {choice(0.1)})},
        {{0, 1, 2}}, 100, 4, 1);
    m.ops[1].parallel = true;
    return m;
  };
  std::vector<runtime::OpQueue> queues(3);
  queues[1].deadlines = {10.0};
  queues[1].running = 1;  // on the GPU
  queues[0].source_done = true;
  plan::JobModel slow_cpu = gpu_job(500);
  runtime::Scheduler s(slow_cpu, {0, 0, 0}, {plan::Objective::fast});
  CHECK_FALSE(s.next(queues, {4, 0}, 0));  // 50x slower: wait for the GPU
  // With nothing in flight the caller asks without waits: the CPU takes it.
  std::optional<runtime::Decision> d = s.next(queues, {4, 0}, 0, false);
  REQUIRE(d);
  CHECK(d->choice == 1);
  d = s.next(queues, {4, 1}, 0);  // the GPU is free again
  REQUIRE(d);
  CHECK(d->choice == 0);

  plan::JobModel fast_cpu = gpu_job(15);
  runtime::Scheduler t(fast_cpu, {0, 0, 0}, {plan::Objective::fast});
  d = t.next(queues, {4, 0}, 0);  // 1.5x slower: run on the free core now
  REQUIRE(d);
  CHECK(d->choice == 1);

  // slo, where the CPU config meets the slack: no wait, whatever the GPU would save.
  runtime::Scheduler u(slow_cpu, {0, 0, 0}, {plan::Objective::slo});
  d = u.next(queues, {4, 0}, 0);
  REQUIRE(d);
  CHECK(d->choice == 1);
}

TEST_CASE("fast waits for the plan's batch whatever the deadlines say") {
  plan::JobModel m = model();
  m.ops[1].parallel = true;
  // The plan: batches of 4. One frame waits, due now (an SLO below the fastest plan).
  runtime::Scheduler s(m, {0, 1, 0}, {plan::Objective::fast});
  s.arrived(1, 1, 0.00);
  s.arrived(1, 1, 0.01);
  std::vector<runtime::OpQueue> queues(3);
  queues[1].deadlines = {0.02};
  std::optional<runtime::Decision> d = s.next(queues, {2, 0}, 0.02);
  REQUIRE(d);
  CHECK(d->op == 0);  // the decoder brings the batch; detect waits for it
  // Nothing more coming: the frame runs now, on the shortest call.
  queues[0].source_done = true;
  d = s.next(queues, {2, 0}, 0.02);
  REQUIRE(d);
  CHECK(d->op == 1);
  CHECK(d->choice == 0);
}

TEST_CASE("slo: the cheapest call runs ahead of the pace only while the job ends in time") {
  // detect, parallel, one core a call: 4 frames in 100 ms, 8 in 160 ms (cheapest a frame).
  plan::JobModel m =
      job({op("decode", {}, {choice(1)}), op("detect", {0}, {choice(100, 4), choice(160, 8)}),
           op("sink", {1}, {choice(0.1)})},
          {{0, 1, 2}}, 16, 4);
  m.ops[1].parallel = true;
  auto decide = [&](double slo_s) {
    runtime::SchedulerOptions options;
    options.slo = plan_test::slo(slo_s);
    runtime::Scheduler s(m, {0, 0, 0}, options);
    std::vector<runtime::OpQueue> queues(3);
    queues[0].source_done = true;  // ... but 8 more frames are on their way, in decode
    queues[0].running = 1;
    queues[1].deadlines.assign(8, 0.11);  // the pace: the first frames due at 110 ms
    return s.next(queues, {3, 0}, 0);
  };
  // The pace alone fits a batch of 4 (100 ms), not of 8 (160 ms). With 1 s to the SLO, 8
  // now and 8 after on the cores left end in time: the batch of 8 goes.
  std::optional<runtime::Decision> d = decide(1.0);
  REQUIRE(d);
  CHECK(d->op == 1);
  CHECK(d->choice == 1);
  CHECK(d->items == 8);
  // With 150 ms to the SLO, a batch of 8 (at its tail) ends past it: the pace's batch of 4.
  d = decide(0.15);
  REQUIRE(d);
  CHECK(d->choice == 0);
  CHECK(d->items == 4);
}

TEST_CASE("slo, behind on a full pool: the cheapest full batch waits if it gets more through") {
  // detect, parallel, one core a call: a frame in 100 ms, or 4 in 320 ms (80 ms a frame);
  // 40 frames in the job, 2 cores, one busy with a detect call, decode running.
  plan::JobModel m =
      job({op("decode", {}, {choice(1)}), op("detect", {0}, {choice(100), choice(320, 4)}),
           op("sink", {1}, {choice(0.1)})},
          {{0, 1, 2}}, 40, 2);
  m.ops[1].parallel = true;
  auto decide = [&](double slo_s) {
    runtime::SchedulerOptions options;
    options.slo = plan_test::slo(slo_s);
    runtime::Scheduler s(m, {0, 0, 0}, options);
    s.arrived(1, 1, 0.0);
    s.arrived(1, 1, 0.05);  // arrivals 50 ms apart while detect held both cores
    std::vector<runtime::OpQueue> queues(3);
    queues[0].running = 1;
    queues[1].running = 1;
    queues[1].deadlines = {0.2};  // the front frame's slack fits one frame a call, not 4
    return s.next(queues, {1, 0}, 0.05);
  };
  // 1.5 s to the SLO: 39 frames more need 3.1 core-s in one-frame calls and 2.5 in batches
  // of 4; the 2 cores have 3 s. Neither ends in time at 4 sd, but batches get more through:
  // the free core goes to decode, which makes the 3 missing frames in 3 ms.
  CHECK_FALSE(decide(1.5));
  // 0.3 s to the SLO: a batch of 4 (320 ms) would end past it: the frame runs now.
  std::optional<runtime::Decision> d = decide(0.3);
  REQUIRE(d);
  CHECK(d->op == 1);
  CHECK(d->items == 1);
}
