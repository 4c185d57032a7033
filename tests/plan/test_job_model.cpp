#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>

#include "plan/job_model.h"

using namespace llama;
using spec::ItemKind;

namespace {

spec::OpCatalog catalog() {
  spec::KnobSignature threads{"threads", {}, 1, 64, true};
  spec::KnobSignature fps{"fps", {}, 0.1, 240, false};
  spec::KnobSignature device{"device", {"cpu", "cuda"}, 0, 0, true};
  spec::KnobSignature batch{"batch", {}, 1, 64, true};
  spec::OpCatalog c;
  c.add({"decode", "", {}, true, ItemKind::frame, {}, {}, {threads, fps}});
  c.add({"detect",
         "",
         {ItemKind::frame},
         true,
         ItemKind::detection,
         {"label"},
         {},
         {device, threads, batch}});
  c.add({"sink", "", {ItemKind::detection}, false, ItemKind::frame, {}, {}, {}});
  return c;
}

profile::LatencyStats measured(double mean) {
  return {20, mean, mean, mean, mean * 0.1, mean, mean};
}

}  // namespace

TEST_CASE("the job model: predicted configs, missing ones, source share, rates, paths") {
  spec::OpCatalog cat = catalog();
  graph::Pipeline p = graph::load_pipeline_text(R"(name: job
ops:
  - {name: decode, op: decode, knobs: {fps: [5, 10]}}
  - name: detect
    op: detect
    input: decode
    knobs: {device: [cpu, cuda], threads: [1, 2], batch: [1, 4]}
  - {name: people, op: sink, input: detect, when: label == "person"}
  - {name: unused, op: sink, input: detect}
outputs: [people]
)",
                                                "job.yaml", cat);
  std::vector<profile::OpTarget> targets = profile::profile_targets(p, "640x480", true, nullptr);
  REQUIRE(targets.size() == 3);  // `unused` is not in outputs: it never runs

  profile::ProfileStore store = profile::ProfileStore::open(
      (std::filesystem::temp_directory_path() /
       ("llama-test-job-model-" + std::to_string(::getpid()) + "-never-created"))
          .string(),
      {"Test CPU", 2, "", 0, ""}, nullptr);
  store.put(profile::entry_key(targets[0], {{"fps", "5"}}), measured(4));
  store.put(profile::entry_key(targets[0], {{"fps", "10"}}), measured(4));
  // detect: measured at threads 1 (batch 1 and 4) and on cuda; threads 2 never.
  for (const char* device : {"cpu", "cuda"})
    for (const char* b : {"1", "4"})
      store.put(
          profile::entry_key(targets[1], {{"device", device}, {"threads", "1"}, {"batch", b}}),
          measured(b[0] == '1' ? 50 : 150));
  store.put(profile::entry_key(targets[2], {}), measured(0.1));
  store.put_fanout({"job", "detect"}, {3, 5, 20});
  store.put_branch({"job", "people"}, {30, 60});
  profile::Predictor predictor(store);

  spec::PriceSheet prices;
  plan::JobModel cpu_only =
      plan::build_job_model(p, targets, predictor, prices, {2, 0, ""}, {100, 10});
  REQUIRE(cpu_only.ops.size() == 3);
  const plan::OpModel& decode = cpu_only.ops[0];
  CHECK(decode.source);
  REQUIRE(decode.choices.size() == 2);
  CHECK(decode.choices[0].source_share == doctest::Approx(0.5));  // 5 of the video's 10 fps
  CHECK(decode.choices[1].source_share == doctest::Approx(1.0));

  const plan::OpModel& detect = cpu_only.ops[1];
  CHECK(detect.inputs == std::vector<int>{0});
  CHECK(detect.fanout == doctest::Approx(3));
  CHECK(detect.choices.size() == 2);  // cpu threads 1, batch 1 and 4; cuda dropped, no GPU
  CHECK(detect.missing.size() == 2);  // threads 2, batch 1 and 4: never measured
  CHECK(detect.choices[1].latency_ms == doctest::Approx(150));
  CHECK(detect.choices[1].batch == 4);

  CHECK(cpu_only.ops[2].branch_rate == doctest::Approx(0.5));
  CHECK(cpu_only.paths == std::vector<std::vector<int>>{{0, 1, 2}, {0, 1}});
  CHECK(cpu_only.unprofiled().empty());

  plan::JobModel with_gpu =
      plan::build_job_model(p, targets, predictor, prices, {2, 1, "NVIDIA L4"}, {100, 10});
  CHECK(with_gpu.ops[1].choices.size() == 4);
  int on_gpu = 0;
  for (const plan::Choice& c : with_gpu.ops[1].choices) on_gpu += c.held.gpus;
  CHECK(on_gpu == 2);
  // A config's batch sizes are one family, so two items at batch 4 fall a third of the way
  // from its batch 1 to its batch 4 (50 to 150 ms), never on the other device's.
  for (int k = 0; k < 4; ++k) {
    const plan::Choice& c = with_gpu.ops[1].choices[k];
    for (const plan::Choice& other : with_gpu.ops[1].choices)
      CHECK((other.family == c.family) == (other.held.gpus == c.held.gpus));
    if (c.batch == 4) CHECK(with_gpu.ops[1].latency_ms_at(k, 2) == doctest::Approx(50 + 100.0 / 3));
  }

  profile::ProfileStore empty = profile::ProfileStore::open(
      (std::filesystem::temp_directory_path() / "llama-test-job-model-empty-never-created")
          .string(),
      {"Test CPU", 2, "", 0, ""}, nullptr);
  plan::JobModel unprofiled =
      plan::build_job_model(p, targets, profile::Predictor(empty), prices, {2, 0, ""}, {100, 10});
  CHECK(unprofiled.unprofiled() == std::vector<std::string>{"decode", "detect", "people"});
}
