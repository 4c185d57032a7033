#include <doctest/doctest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <thread>

#include "exec/checkpoint.h"
#include "exec/executor.h"

using namespace llama;
namespace fs = std::filesystem;

namespace {

// A synthetic clip made with the ffmpeg CLI: fast, and the same on every machine.
struct Workspace {
  Workspace() : dir(fs::temp_directory_path() / ("llama-exec-" + std::to_string(::getpid()))) {
    fs::create_directories(dir / "out");
    video = (dir / "clip.mp4").string();
    std::string cmd =
        "ffmpeg -v error -y -f lavfi -i testsrc2=size=160x120:rate=10 -t 4 -pix_fmt yuv420p " +
        video;
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
  ~Workspace() { fs::remove_all(dir); }

  const graph::Pipeline& load(const std::string& yaml) {
    pipeline = std::make_unique<graph::Pipeline>(graph::load_pipeline_text(
        yaml, (dir / "p.yaml").string(), ops::builtin_registry().catalog()));
    return *pipeline;
  }

  exec::RunResult run(const std::string& yaml, exec::ExecOptions options = {}) {
    load(yaml);
    return run_loaded(std::move(options));
  }

  // Runs the pipeline load() made, on the clip unless `options` names videos.
  exec::RunResult run_loaded(exec::ExecOptions options) {
    if (options.videos.empty()) options.videos = {video};
    options.out_dir = (dir / "out").string();
    return exec::run_pipeline(*pipeline, ops::builtin_registry(), options);
  }

  std::vector<nlohmann::json> records(const std::string& file) {
    std::vector<nlohmann::json> out;
    std::ifstream in(dir / "out" / file);
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }

  fs::path dir;
  std::string video;
  std::unique_ptr<graph::Pipeline> pipeline;
};

const exec::OpStats& stats(const exec::RunResult& r, const std::string& name) {
  for (const auto& s : r.ops)
    if (s.name == name) return s;
  FAIL("no op " << name);
  return r.ops.front();
}

}  // namespace

TEST_CASE("a pipeline streams every frame through and counts per window") {
  Workspace w;
  auto r = w.run(R"(ops:
  - {name: decode, op: decode, knobs: {batch: [4]}}
  - {name: count, op: window_count, input: decode, params: {window: 1s}}
  - {name: out, op: sink, input: count}
)");
  REQUIRE(r.complete);
  CHECK(stats(r, "decode").items_out == 40);
  CHECK(stats(r, "decode").invocations >= 10);  // batches of 4, plus the one that finds the end
  CHECK(stats(r, "decode").config.at("batch") == "4");
  auto counts = w.records("out.jsonl");
  REQUIRE(counts.size() == 4);
  for (const auto& c : counts) CHECK(c["items"] == 10);
  CHECK(counts[0]["video"] == w.video);
  REQUIRE(r.videos.size() == 1);
  CHECK(r.videos[0].frames_decoded == 40);
  CHECK_FALSE(r.videos[0].truncated);
}

TEST_CASE("when: routes items per branch, and a fan of consumers each gets every item") {
  Workspace w;
  auto r = w.run(R"(ops:
  - {name: decode, op: decode}
  - {name: early, op: sink, input: decode, when: t < 1}
  - {name: late, op: sink, input: decode, when: t >= 3 && frame != 35}
  - {name: all, op: sink, input: decode}
)");
  REQUIRE(r.complete);
  CHECK(w.records("early.jsonl").size() == 10);
  CHECK(w.records("late.jsonl").size() == 9);
  CHECK(w.records("all.jsonl").size() == 40);
}

TEST_CASE("queues stay bounded: a slow consumer holds the decoder back") {
  Workspace w;
  exec::ExecOptions options;
  auto r = w.run(R"(ops:
  - {name: decode, op: decode, knobs: {batch: [3]}}
  - {name: slow, op: blur, input: decode, params: {target: frame, radius: 20}}
  - {name: out, op: sink, input: slow}
)",
                 options);
  REQUIRE(r.complete);
  // The scheduler's source backlog: 16 items waiting (at least), plus one batch of 3.
  CHECK(stats(r, "slow").max_queue <= 16 + 3);
  CHECK(stats(r, "out").items_in == 40);
}

TEST_CASE("several videos run as one job, and items name their video") {
  Workspace w;
  std::string second = (w.dir / "second.mkv").string();
  REQUIRE(std::system(("ffmpeg -v error -y -f lavfi -i testsrc2=size=96x64:rate=5 -t 2 " + second)
                          .c_str()) == 0);
  exec::ExecOptions options;
  options.videos = {w.video, second};
  auto r = w.run(R"(ops:
  - {name: decode, op: decode}
  - {name: out, op: sink, input: decode}
)",
                 options);
  REQUIRE(r.complete);
  auto records = w.records("out.jsonl");
  REQUIRE(records.size() == 50);
  CHECK(records.front()["video"] == w.video);
  CHECK(records.back()["video"] == second);
  CHECK(r.videos.size() == 2);
}

TEST_CASE("a failing op stops the run, keeps what was written, and says which op") {
  Workspace w;
  // The encoder cannot create a file where a folder is in the way.
  fs::create_directories(w.dir / "out" / "x.mp4");
  auto r = w.run(R"(ops:
  - {name: decode, op: decode}
  - {name: out, op: sink, input: decode}
  - {name: video, op: encode, input: decode, params: {file: x.mp4}}
)");
  CHECK_FALSE(r.complete);
  CHECK(r.failure == ExitCode::output);
  CHECK(r.error.find("x.mp4") != std::string::npos);
  CHECK(stats(r, "decode").items_out < 40 + 1);
  for (const auto& record : w.records("out.jsonl"))
    CHECK(record.contains("frame"));  // all whole lines
}

TEST_CASE("cancelling stops early with the interrupted code") {
  Workspace w;
  std::atomic<bool> cancel{true};
  exec::ExecOptions options;
  options.cancel = &cancel;
  auto r = w.run(R"(ops:
  - {name: decode, op: decode}
  - {name: out, op: sink, input: decode}
)",
                 options);
  CHECK_FALSE(r.complete);
  CHECK(r.failure == ExitCode::interrupted);
}

TEST_CASE("outputs: runs only the writers it names") {
  Workspace w;
  auto r = w.run(R"(outputs: [kept]
ops:
  - {name: decode, op: decode}
  - {name: kept, op: sink, input: decode}
  - {name: dropped, op: sink, input: decode}
)");
  REQUIRE(r.complete);
  CHECK(w.records("kept.jsonl").size() == 40);
  CHECK_FALSE(fs::exists(w.dir / "out" / "dropped.jsonl"));
  CHECK(r.ops.size() == 2);
}

TEST_CASE("a config that fails on a fresh instance too is set aside; the run goes on without it") {
  Workspace w;
  const graph::Pipeline& pipeline = w.load(R"(ops:
  - {name: decode, op: decode}
  - {name: blur, op: blur, input: decode, params: {target: frame}, knobs: {batch: [4, 1]}}
  - {name: out, op: sink, input: blur}
)");
  // Batch 4 is the cheaper per item (1 ms a frame against 2), so it runs first.
  plan::JobModel model = plan::fixed_job_model(pipeline, {2, 0, ""}, {40, 10});
  plan::OpModel& blur = model.ops[1];
  REQUIRE(blur.name == "blur");
  blur.choices[0].latency_ms = 4;
  plan::Choice one = blur.choices[0];
  one.batch = 1;
  one.config["batch"] = "1";
  one.latency_ms = 2;
  blur.choices.push_back(one);

  exec::ExecOptions options;
  options.model = &model;
  options.initial = {0, 0, 0};
  options.objective = plan::Objective::cheap;
  options.broken_configs = {{"blur", {{"batch", "4"}}}};
  auto r = w.run_loaded(options);
  REQUIRE(r.complete);
  const exec::OpStats& s = stats(r, "blur");
  REQUIRE(s.set_aside.size() == 1);
  CHECK(s.set_aside.begin()->first.find("b4") != std::string::npos);
  CHECK(s.set_aside.begin()->second.find("--fail-config") != std::string::npos);
  CHECK(s.retries >= 2);  // on a fresh instance, then at batch 1 (per call that failed)
  CHECK(s.items_out == 40);
  for (const auto& [config, calls] : s.configs) CHECK(config.find("b1") != std::string::npos);
  CHECK(w.records("out.jsonl").size() == 40);

  // With no config left, the run stops and names the op.
  options.broken_configs = {{"blur", {}}};
  auto stopped = w.run_loaded(options);
  CHECK_FALSE(stopped.complete);
  CHECK(stopped.failure == ExitCode::runtime);
  CHECK(stopped.error.find("blur") != std::string::npos);
}

TEST_CASE("a run stopped after checkpoints resumes to the results of a run never stopped") {
  // Checkpoints as often as the run can take them, a stop after some frames, and a resume from
  // the last checkpoint: every record equals the uninterrupted run's, none lost, none twice.
  // motion_filter, window_count and sample keep state across the checkpoints; sink's file is
  // cut back to what the checkpoint counted.
  Workspace w;
  const char* yaml = R"(ops:
  - {name: decode, op: decode, knobs: {batch: [3]}}
  - {name: thin, op: sample, input: decode, params: {stride: 2}}
  - {name: motion, op: motion_filter, input: thin, params: {emit: all}}
  - {name: count, op: window_count, input: motion, params: {window: 0.7s}}
  - {name: counts, op: sink, input: count}
  - {name: frames, op: sink, input: motion}
)";
  exec::ExecOptions plain;
  plain.videos = {w.video, w.video};
  plain.job = {{"pipeline", "test"}, {"videos", nlohmann::json::array()}};  // app's job_identity
  auto reference = w.run(yaml, plain);
  REQUIRE(reference.complete);
  CHECK(reference.checkpoints == 0);
  auto counts = w.records("counts.jsonl");
  auto frames = w.records("frames.jsonl");
  REQUIRE(frames.size() == 40);

  for (int64_t stop_after : {7, 30, 61}) {
    CAPTURE(stop_after);
    std::atomic<bool> cancel{false};
    exec::ExecOptions first = plain;
    first.checkpoint_every_s = 1e-9;
    first.checkpoint_path = (w.dir / "checkpoint").string();
    first.cancel = &cancel;
    first.progress_every_s = 0;
    first.on_progress = [&](const exec::RunProgress& p) {
      if (p.frames >= stop_after) cancel = true;
    };
    fs::remove(first.checkpoint_path);
    auto stopped = w.run(yaml, first);
    REQUIRE_FALSE(stopped.complete);
    CHECK(stopped.checkpoints > 0);
    REQUIRE(fs::exists(first.checkpoint_path));

    nlohmann::json checkpoint = exec::read_checkpoint(first.checkpoint_path);
    CHECK(checkpoint["frames"].get<int64_t>() <= stop_after + 3);
    exec::ExecOptions second = plain;
    second.checkpoint_every_s = 1e-9;
    second.checkpoint_path = first.checkpoint_path;
    second.resume_from = &checkpoint;
    auto resumed = w.run(yaml, second);
    REQUIRE(resumed.complete);
    CHECK(resumed.resumed_from["frames"] == checkpoint["frames"]);
    CHECK(w.records("counts.jsonl") == counts);
    CHECK(w.records("frames.jsonl") == frames);
    for (const char* op : {"decode", "thin", "motion", "count", "counts"}) {
      CAPTURE(op);
      CHECK(stats(resumed, op).items_in == stats(reference, op).items_in);
      CHECK(stats(resumed, op).items_out == stats(reference, op).items_out);
    }
  }
}

TEST_CASE("a damaged or foreign checkpoint is refused with the --force hint") {
  Workspace w;
  fs::path path = w.dir / "checkpoint";
  std::ofstream(path) << "not cbor";
  try {
    exec::read_checkpoint(path.string());
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::output);
    CHECK(std::string(e.what()).find("--force") != std::string::npos);
  }
  exec::write_checkpoint(path.string(), {{"version", 99}});
  CHECK_THROWS_AS(exec::read_checkpoint(path.string()), Error);
  // This version, but without what says whose job it is and where it stopped.
  exec::write_checkpoint(path.string(), {{"version", exec::kCheckpointVersion}, {"job", 1}});
  CHECK_THROWS_WITH_AS(exec::read_checkpoint(path.string()), doctest::Contains("damaged"), Error);
  // A checkpoint whose ops are not the pipeline's: the run fails before any op runs.
  nlohmann::json wrong = {{"version", exec::kCheckpointVersion}, {"ops", nlohmann::json::object()}};
  exec::ExecOptions options;
  options.resume_from = &wrong;
  options.checkpoint_path = path.string();
  auto r = w.run("ops:\n  - {name: decode, op: decode}\n  - {name: out, op: sink, input: decode}\n",
                 options);
  CHECK_FALSE(r.complete);
  CHECK(r.failure == ExitCode::output);
  CHECK(r.error.find("no op 'decode'") != std::string::npos);
  // Its ops there, but their entries not what llama wrote.
  for (const char* entry : {R"({})", R"({"stats": 1})", R"({"stats": {}, "state": []})"}) {
    CAPTURE(entry);
    wrong["ops"] = {{"decode", nlohmann::json::parse(entry)},
                    {"out", nlohmann::json::parse(entry)}};
    r = w.run_loaded(options);
    CHECK(r.failure == ExitCode::output);
    CHECK(r.error.find("damaged") != std::string::npos);
  }
}
