#include <doctest/doctest.h>

#include "base/error.h"
#include "plan/plan_fixtures.h"
#include "runtime/replay.h"
#include "runtime/simulator.h"

using namespace llama;
using plan_test::choice;
using plan_test::job;
using plan_test::noisy;
using plan_test::op;

namespace {

// decode -> detect (parallel; 1 or 2 cores, or a batch of 4; a long right tail) -> sink, on 4
// cores: every path of the core runs (batching waits, config changes, straggler copies that
// win and lose, failures run again in place).
runtime::SimResult recorded(plan::Objective objective, double slo_s, uint64_t seed) {
  plan::JobModel m =
      job({op("decode", {}, {noisy(2, 0.1)}),
           op("detect", {0}, {noisy(40, 0.8), noisy(25, 0.8, 1, 2), noisy(100, 0.8, 4)}, 2),
           op("sink", {1}, {noisy(0.1, 0.1)})},
          {{0, 1, 2}}, 300, 4);
  m.ops[1].parallel = true;
  runtime::SimOptions options;
  options.seed = seed;
  options.failure_rate = 0.05;
  options.journal = true;
  options.scheduler.objective = objective;
  return runtime::simulate(m, {0, 0, 0}, plan_test::slo(slo_s), options);
}

}  // namespace

TEST_CASE("a journal replayed through a fresh core starts every call alike, in order") {
  for (auto [objective, slo_s] :
       {std::pair{plan::Objective::slo, 8.0}, std::pair{plan::Objective::slo, 3.0},
        std::pair{plan::Objective::cheap, 0.0}, std::pair{plan::Objective::fast, 0.0},
        std::pair{plan::Objective::fixed, 0.0}}) {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      CAPTURE(static_cast<int>(objective));
      CAPTURE(seed);
      runtime::SimResult r = recorded(objective, slo_s, seed);
      CHECK(r.duplicates > 0);
      CHECK(r.failures > 0);
      runtime::ReplayResult replay = runtime::replay(r.journal, "sim");
      int64_t starts = 0;
      for (const nlohmann::json& e : r.journal["events"]) starts += e[0] == "next";
      CHECK(replay.decisions == starts);
      CHECK(starts >= 300 / 1 + 600 / 4);  // at least a call a frame, a call per 4 detections
      CHECK(replay.same == replay.decisions);
      CHECK(replay.first_difference.empty());
    }
  }
}

TEST_CASE("a journal whose run decided otherwise is caught at the first call that differs") {
  runtime::SimResult r = recorded(plan::Objective::slo, 8.0, 1);
  nlohmann::json journal = r.journal;
  int n = 0;
  for (nlohmann::json& e : journal["events"])
    if (e[0] == "next" && !e[4].get<bool>() && e[5] == 1 && ++n == 10) {
      e[7] = e[7].get<int>() + 1;  // the 10th detect call took one item more
      break;
    }
  runtime::ReplayResult replay = runtime::replay(journal, "sim");
  CHECK(replay.same < replay.decisions);
  CHECK(replay.first_difference.find("detect") != std::string::npos);
}

TEST_CASE("a damaged journal is refused naming the file") {
  runtime::SimResult r = recorded(plan::Objective::slo, 8.0, 1);
  nlohmann::json journal = r.journal;
  journal["events"][3] = {"warp", 0.0};
  CHECK_THROWS_WITH_AS(runtime::replay(journal, "t.json"),
                       doctest::Contains("t.json: the replay journal has an event of unknown kind"),
                       Error);
  journal.erase("model");
  CHECK_THROWS_WITH_AS(runtime::replay(journal, "t.json"),
                       doctest::Contains("t.json: the replay journal is damaged"), Error);
}
