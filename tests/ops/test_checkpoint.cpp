// Every op that keeps state continues from a checkpoint as if it had never stopped: the items
// through one instance equal those through an instance stopped at a frame (drain, checkpoint)
// and a new one resumed from its state, at every frame. The state goes through CBOR, as in
// OUT/.llama/checkpoint.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "op_test_util.h"

using namespace llama;

namespace {

nlohmann::json as_json(const std::vector<ops::Item>& items) {
  nlohmann::json all = nlohmann::json::array();
  for (const ops::Item& item : items) {
    nlohmann::json boxes = nlohmann::json::array();
    for (const ops::Box& b : item.boxes) boxes.push_back({b.x, b.y, b.w, b.h});
    all.push_back({item.video, item.frame_index, item.timestamp_s, item.fields, boxes});
  }
  return all;
}

// Groups of items, one per frame: a checkpoint falls between two frames.
using Frames = std::vector<std::vector<ops::Item>>;

std::vector<ops::Item> run_through(ops::Op& op, const Frames& frames, size_t from, size_t to) {
  std::vector<ops::Item> out;
  for (size_t i = from; i < to; ++i) {
    std::vector<ops::Item> batch = frames[i];
    op.process(batch, out);
  }
  return out;
}

void check_resumes_anywhere(const test::OpUnderTest& op_test, const Frames& frames) {
  auto whole = op_test.another(false);
  std::vector<ops::Item> expected = run_through(*whole, frames, 0, frames.size());
  whole->finish(expected);
  for (size_t split = 0; split <= frames.size(); ++split) {
    CAPTURE(split);
    auto first = op_test.another(false);
    std::vector<ops::Item> got = run_through(*first, frames, 0, split);
    first->drain(got);
    nlohmann::json state = nlohmann::json::from_cbor(nlohmann::json::to_cbor(first->checkpoint()));
    auto second = op_test.another(true);
    second->resume(state);
    std::vector<ops::Item> rest = run_through(*second, frames, split, frames.size());
    second->finish(rest);
    got.insert(got.end(), rest.begin(), rest.end());
    CHECK(as_json(got) == as_json(expected));
  }
}

// Two videos of 64x32 frames at 10 fps, a square moving across each.
Frames moving_square_frames() {
  Frames frames;
  for (int video : {0, 1})
    for (int i = 0; i < 12; ++i) {
      auto f = test::solid_frame(64, 32, 20, i / 10.0, i);
      test::paint(*f, (i * 5) % 48, 8, 16, 16, 220);
      frames.push_back({test::frame_item(f, video)});
    }
  return frames;
}

ops::Item detection(int video, int64_t frame, int x, const std::string& label) {
  ops::Item item;
  item.kind = spec::ItemKind::detection;
  item.video = video;
  item.frame_index = frame;
  item.timestamp_s = frame / 10.0;
  item.boxes = {{x, 10, 20, 20}};
  item.fields = {{"label", label}};
  return item;
}

}  // namespace

TEST_CASE("sample resumes from a checkpoint at any frame") {
  check_resumes_anywhere(
      test::OpUnderTest("{name: s, op: sample, input: decode, params: {fps: 3, stride: 2}}"),
      moving_square_frames());
}

TEST_CASE("motion_filter resumes from a checkpoint at any frame") {
  check_resumes_anywhere(test::OpUnderTest("{name: m, op: motion_filter, input: decode}"),
                         moving_square_frames());
}

TEST_CASE("window_count resumes from a checkpoint at any frame, its open window included") {
  test::OpUnderTest w(
      "{name: w, op: window_count, input: decode, params: {window: 0.5s, distinct: label}}");
  Frames frames = moving_square_frames();
  for (size_t i = 0; i < frames.size(); ++i) {
    frames[i][0].boxes.resize(i % 3);
    frames[i][0].fields["label"] = "l" + std::to_string(i % 4);
  }
  check_resumes_anywhere(w, frames);
}

TEST_CASE("track resumes from a checkpoint at any frame, ids going on") {
  // A detector upstream, never built, so its model need not exist.
  test::OpUnderTest track("{name: t, op: track, input: d, params: {max_age: 0.25s}}", ".",
                          "models:\n  nanodet: /nonexistent/nanodet.json\n",
                          "  - {name: d, op: detect, input: decode, params: {model: nanodet}}\n");
  Frames frames;
  for (int video : {0, 1})
    for (int64_t i = 0; i < 10; ++i) {
      std::vector<ops::Item> frame;
      if (i != 4) frame.push_back(detection(video, i, static_cast<int>(3 * i), "person"));
      frame.push_back(detection(video, i, 100 - static_cast<int>(2 * i), "person"));
      if (i % 3 == 0) frame.push_back(detection(video, i, 50, "car"));
      frames.push_back(frame);
    }
  check_resumes_anywhere(track, frames);
}

TEST_CASE("sink resumed from a checkpoint drops what was written after it, and goes on") {
  namespace fs = std::filesystem;
  fs::path dir =
      fs::temp_directory_path() / ("llama-test-sink-resume-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  test::OpUnderTest sink("{name: out, op: sink, input: decode}", dir.string());
  Frames frames = moving_square_frames();
  auto read = [&] {
    std::ifstream in(dir / "out.jsonl");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  auto whole = sink.another(false);
  run_through(*whole, frames, 0, frames.size());
  whole->finish(frames[0]);
  const std::string expected = read();
  REQUIRE(!expected.empty());

  auto first = sink.another(false);
  run_through(*first, frames, 0, 7);
  nlohmann::json state = first->checkpoint();
  run_through(*first, frames, 7, 10);  // written after the checkpoint, then killed
  first.reset();
  auto second = sink.another(true);  // must not empty the file before resume()
  second->resume(state);
  run_through(*second, frames, 7, frames.size());
  std::vector<ops::Item> none;
  second->finish(none);
  CHECK(read() == expected);
  CHECK(second->summary()["records"] == frames.size());

  // Records the checkpoint counted are gone: the results were changed since.
  fs::resize_file(dir / "out.jsonl", 10);
  auto third = sink.another(true);
  CHECK_THROWS_AS(third->resume(state), Error);
  fs::remove_all(dir);
}
