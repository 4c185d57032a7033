// Merging task folders as a cluster job leaves them: records in the job's order with track
// ids made unique, videos named as a local run names them, and a report that sums the tasks.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "cluster/json_file.h"
#include "cluster/merge.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using nlohmann::json;
namespace cluster = llama::cluster;

namespace {

std::string read(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

llama::spec::OpSpec op(const std::string& name, const std::string& kind,
                       const std::string& input = "") {
  llama::spec::OpSpec o;
  o.name = name;
  o.kind = kind;
  if (!input.empty()) o.inputs.push_back({input, {}});
  return o;
}

// decode -> objects -> people (track) -> sightings (sink); decode -> blur -> video (encode).
llama::spec::PipelineSpec pipeline() {
  llama::spec::PipelineSpec p;
  p.name = "test";
  p.ops = {op("decode", "decode"),           op("objects", "detect", "decode"),
           op("people", "track", "objects"), op("sightings", "sink", "people"),
           op("counts", "sink", "objects"),  op("video", "encode", "decode")};
  return p;
}

json task_report(const std::string& video, int64_t tracks, int64_t invocations) {
  return {{"complete", true},
          {"status", "complete"},
          {"wall_s", 2.0},
          {"objective", "slo"},
          {"videos", {{{"path", video}, {"frames_decoded", 10}}}},
          {"cost", {{"core_s", 3.0}, {"gpu_s", 0.0}, {"usd", nullptr}}},
          {"scheduler", {{"decisions", 5}, {"retries", 1}, {"duplicates", 0}}},
          {"ops",
           {{{"name", "objects"},
             {"invocations", invocations},
             {"busy_s", 1.0},
             {"config", "cpu"},
             {"max_queue", 2}},
            {{"name", "people"},
             {"invocations", 3},
             {"busy_s", 0.5},
             {"config", ""},
             {"output", {{"tracks", tracks}}}}}}};
}

struct Job {
  llama::test::TempDir dir{"merge"};
  cluster::Manifest m;
  Job() {
    m.pipeline = "p.yaml";
    m.out_dir = dir.path().string();
    m.submitted_unix = 1000;
    m.slo_s = 30;
    m.outputs_per_video = true;
    m.slurm.cpus_per_task = 2;
    m.tasks = {{{"clips/a.mp4"}, 10, std::nullopt}, {{"clips/b.mp4"}, 10, std::nullopt}};
    m.submissions = {{"7", {0, 1}, 1000}};
  }
  void finish(int t, const std::string& video, int64_t tracks, int64_t invocations) {
    const fs::path task = cluster::task_dir(m.out_dir, t);
    fs::create_directories(task);
    cluster::write_json_file((task / "report.json").string(),
                             task_report(video, tracks, invocations));
    fs::create_directories(fs::path(m.out_dir) / "cluster");
    cluster::write_task_record(m.out_dir, {t, "node", 1001.0 + t, 1005.0 + t, 0});
  }
};

}  // namespace

TEST_CASE("records follow the tasks' order and track ids continue across tasks") {
  Job job;
  job.finish(0, "clips/a.mp4", 2, 4);
  job.finish(1, "clips/b.mp4", 3, 6);
  const fs::path t0 = cluster::task_dir(job.m.out_dir, 0), t1 = cluster::task_dir(job.m.out_dir, 1);
  write(t0 / "sightings.jsonl",
        "{\"frame\":1,\"track_id\":0,\"video\":\"clips/a.mp4\"}\n"
        "{\"frame\":2,\"track_id\":1,\"video\":\"clips/a.mp4\"}\n");
  // Task 1's ids start again at 0; a last line cut short (no newline) is not a record.
  write(t1 / "sightings.jsonl",
        "{\"frame\":1,\"track_id\":0,\"video\":\"clips/b.mp4\"}\n"
        "{\"frame\":5,\"track_id\":2,\"video\":\"clips/b.mp4\"}\n{\"frame\":6,\"tr");
  write(t0 / "counts.jsonl", "{\"n\":1,\"track_id\":0}\n");
  write(t1 / "counts.jsonl", "{\"n\":2,\"track_id\":0}\n");
  write(t0 / "video.mp4", "A");
  write(t1 / "video.mp4", "B");
  write(t0 / ".llama" / "checkpoint.json", "{}");
  write(t0 / "report.html", "<html>0</html>");  // each task's own page, not an output
  write(t1 / "report.html", "<html>1</html>");

  cluster::MergeResult merged = cluster::merge_job(job.m, pipeline(), std::nullopt);
  CHECK(merged.complete);
  const fs::path out = job.m.out_dir;
  CHECK(read(out / "sightings.jsonl") ==
        "{\"frame\":1,\"track_id\":0,\"video\":\"clips/a.mp4\"}\n"
        "{\"frame\":2,\"track_id\":1,\"video\":\"clips/a.mp4\"}\n"
        "{\"frame\":1,\"track_id\":2,\"video\":\"clips/b.mp4\"}\n"
        "{\"frame\":5,\"track_id\":4,\"video\":\"clips/b.mp4\"}\n");
  // Not downstream of a track: its ids (a field of another meaning) stay as written.
  CHECK(read(out / "counts.jsonl") == "{\"n\":1,\"track_id\":0}\n{\"n\":2,\"track_id\":0}\n");
  CHECK(read(out / "video-a.mp4") == "A");
  CHECK(read(out / "video-b.mp4") == "B");
  CHECK_FALSE(fs::exists(out / ".llama" / "checkpoint.json"));

  const json& r = merged.report;
  CHECK(r["status"] == "complete");
  CHECK(r["wall_s"].get<double>() == doctest::Approx(6.0));  // submitted 1000, last end 1006
  CHECK(r["slo_met"] == true);
  CHECK(r["videos"].size() == 2);
  CHECK(r["cost"]["core_s"].get<double>() == doctest::Approx(16.0));  // 2 tasks x 4 s x 2 cpus
  CHECK(r["busy_cost"]["core_s"].get<double>() == doctest::Approx(6.0));
  CHECK(r["scheduler"]["decisions"] == 10);
  CHECK(r["ops"][0]["invocations"] == 10);
  CHECK(r["ops"][0]["mean_invocation_ms"].get<double>() == doctest::Approx(200.0));  // 2 s over 10
  CHECK(r["ops"][1]["output"]["tracks"] == 5);
  const json& task1 = r["cluster"]["tasks"][1];
  CHECK(task1["queue_wait_s"].get<double>() == doctest::Approx(2.0));
  CHECK(task1["startup_s"].get<double>() == doctest::Approx(2.0));  // 4 s alive, 2 s running
  CHECK(fs::exists(out / "report.json"));
}

TEST_CASE("a task that did not finish makes the job incomplete and is named") {
  Job job;
  job.finish(0, "clips/a.mp4", 0, 1);
  cluster::MergeResult merged = cluster::merge_job(
      job.m, pipeline(), std::nullopt, {{1, ""}, {3, "it was killed after 3 attempts"}});
  CHECK_FALSE(merged.complete);
  CHECK(merged.unfinished == std::vector<int>{1});
  CHECK(merged.report["status"] == "incomplete");
  CHECK(merged.report["slo_met"] == false);
  CHECK(merged.report["error"].get<std::string>().find("task 1 (1 video from clips/b.mp4)") !=
        std::string::npos);
  CHECK(merged.report["cluster"]["tasks"][1]["status"] == "never ran");
  CHECK(merged.report["cluster"]["tasks"][1]["attempts"] == 3);
}

TEST_CASE("two tasks writing one output is an error, not a lost file") {
  Job job;
  job.m.outputs_per_video = false;
  job.m.tasks = {{{"a.mp4", "b.mp4"}, 10, std::nullopt}, {{"c.mp4", "d.mp4"}, 10, std::nullopt}};
  job.finish(0, "a.mp4", 0, 1);
  job.finish(1, "c.mp4", 0, 1);
  write(fs::path(cluster::task_dir(job.m.out_dir, 0)) / "video-x.mp4", "A");
  write(fs::path(cluster::task_dir(job.m.out_dir, 1)) / "video-x.mp4", "B");
  CHECK_THROWS_WITH(cluster::merge_job(job.m, pipeline(), std::nullopt),
                    doctest::Contains("both wrote video-x.mp4"));
}

TEST_CASE("segments: warm-up records go, a track seen across the border keeps its id") {
  Job job;
  job.m.outputs_per_video = false;
  job.m.tasks = {{{"long.mp4"}, 100, cluster::VideoSegment{0, 10, 0}},
                 {{"long.mp4"}, 100, cluster::VideoSegment{10, HUGE_VAL, 3}}};
  job.finish(0, "long.mp4", 2, 1);
  job.finish(1, "long.mp4", 2, 1);
  const fs::path t0 = cluster::task_dir(job.m.out_dir, 0), t1 = cluster::task_dir(job.m.out_dir, 1);
  // Task 0: track 0 walks right until 9.5 s; track 1 leaves at 6 s (before the overlap).
  write(
      t0 / "sightings.jsonl",
      "{\"boxes\":[[10,10,20,40]],\"frame\":60,\"t\":6.0,\"track_id\":1,\"video\":\"long.mp4\"}\n"
      "{\"boxes\":[[100,10,20,40]],\"frame\":90,\"t\":9.0,\"track_id\":0,\"video\":\"long.mp4\"}\n"
      "{\"boxes\":[[105,10,20,40]],\"frame\":95,\"t\":9.5,\"track_id\":0,\"video\":\"long.mp4\"}"
      "\n");
  // Task 1 read from 7 s: its track 0 is task 0's track 0 (same boxes on frames 90 and 95);
  // its track 1 is new.
  write(t1 / "sightings.jsonl",
        "{\"boxes\":[[100,10,20,40]],\"frame\":90,\"t\":9.0,\"track_id\":0,\"video\":\"long.mp4\","
        "\"warmup\":true}\n"
        "{\"boxes\":[[106,11,20,40]],\"frame\":95,\"t\":9.5,\"track_id\":0,\"video\":\"long.mp4\","
        "\"warmup\":true}\n"
        "{\"boxes\":[[110,10,20,40]],\"frame\":100,\"t\":10.0,\"track_id\":0,\"video\":\"long."
        "mp4\"}\n"
        "{\"boxes\":[[300,10,20,40]],\"frame\":100,\"t\":10.0,\"track_id\":1,\"video\":\"long."
        "mp4\"}\n");
  cluster::MergeResult merged = cluster::merge_job(job.m, pipeline(), std::nullopt);
  CHECK(merged.complete);
  CHECK(
      read(fs::path(job.m.out_dir) / "sightings.jsonl") ==
      "{\"boxes\":[[10,10,20,40]],\"frame\":60,\"t\":6.0,\"track_id\":1,\"video\":\"long.mp4\"}\n"
      "{\"boxes\":[[100,10,20,40]],\"frame\":90,\"t\":9.0,\"track_id\":0,\"video\":\"long.mp4\"}\n"
      "{\"boxes\":[[105,10,20,40]],\"frame\":95,\"t\":9.5,\"track_id\":0,\"video\":\"long.mp4\"}\n"
      "{\"boxes\":[[110,10,20,40]],\"frame\":100,\"t\":10.0,\"track_id\":0,\"video\":\"long.mp4\"}"
      "\n"
      "{\"boxes\":[[300,10,20,40]],\"frame\":100,\"t\":10.0,\"track_id\":3,\"video\":\"long.mp4\"}"
      "\n");
  CHECK(merged.report["cluster"]["tasks"][1]["segment"]["from_s"] == 10.0);
}
