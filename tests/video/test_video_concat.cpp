// Tests for concat_videos: parts written by separate VideoWriters join into one video whose
// frames, timestamps and content read back as if one writer had written them all.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "base/error.h"
#include "temp_dir.h"
#include "video/video_concat.h"
#include "video/video_reader.h"
#include "video/video_writer.h"

namespace {

namespace fs = std::filesystem;
using llama::video::concat_videos;
using llama::video::Frame;
using llama::video::ReadOptions;
using llama::video::VideoReader;
using llama::video::VideoWriter;
using llama::video::WriteOptions;

constexpr int kWidth = 64;
constexpr int kHeight = 48;
constexpr double kFps = 25.0;

// A private folder for this run's outputs, removed at exit.
const fs::path& out_dir() {
  static llama::test::TempDir dir("video-concat");
  return dir.path();
}

// Frame i is a flat grey of its own level, so a frame out of place shows in its mean.
int grey_level(int i) {
  return 8 * i;
}

Frame grey(int i) {
  Frame f;
  f.width = kWidth;
  f.height = kHeight;
  f.index = i;
  f.timestamp_s = i / kFps;
  f.rgb.assign(static_cast<size_t>(kWidth) * kHeight * 3, static_cast<uint8_t>(grey_level(i)));
  return f;
}

double mean(const Frame& f) {
  double sum = 0;
  for (uint8_t v : f.rgb) sum += v;
  return sum / static_cast<double>(f.rgb.size());
}

// Frames [first, end) in a file of their own, as a run that took a checkpoint leaves them.
std::string write_part(const std::string& name, const std::string& codec, int first, int end) {
  const fs::path path = out_dir() / name;
  WriteOptions options;
  options.codec = codec;
  options.width = kWidth;
  options.height = kHeight;
  options.fps = kFps;
  VideoWriter writer(path.string(), options);
  for (int i = first; i < end; ++i) writer.write(grey(i));
  writer.close();
  return path.string();
}

}  // namespace

TEST_CASE("concat_videos joins parts into one video with every frame in place") {
  for (const std::string codec : {"h264", "mpeg4"}) {
    CAPTURE(codec);
    std::vector<std::string> parts;
    for (int p = 0; p < 3; ++p) {
      parts.push_back(write_part("part-" + codec + "-" + std::to_string(p) + ".mp4", codec, 10 * p,
                                 10 * (p + 1)));
    }
    const fs::path joined = out_dir() / ("joined-" + codec + ".mp4");
    concat_videos(parts, joined.string());

    VideoReader reader(joined.string(), ReadOptions{});
    CHECK(reader.info().codec == codec);
    std::vector<Frame> frames;
    while (auto frame = reader.next()) {
      frames.push_back(std::move(*frame));
      REQUIRE(frames.size() <= 30);
    }
    CHECK_FALSE(reader.truncated());
    REQUIRE(frames.size() == 30);
    for (int i = 0; i < 30; ++i) {
      CAPTURE(i);
      CHECK(std::abs(frames[i].timestamp_s - i / kFps) < 1e-3);
      if (i > 0) CHECK(frames[i].timestamp_s > frames[i - 1].timestamp_s);
      CHECK(std::abs(mean(frames[i]) - grey_level(i)) < 6.0);
    }
  }
}

TEST_CASE("concat_videos keeps timestamps where a part's decode times would step back") {
  // Sparse frames at part 1's start widen x264's B-frame delay to 0.8 s, so the part's first
  // decode timestamps (from -0.4 s) fall before part 0's last one (0.28 s).
  std::vector<double> times;
  for (int i = 0; i < 10; ++i) times.push_back(i / kFps);
  for (int i = 0; i < 10; ++i) times.push_back(0.4 + 0.4 * i);
  std::vector<std::string> parts;
  for (int p = 0; p < 2; ++p) {
    const fs::path path = out_dir() / ("sparse-" + std::to_string(p) + ".mp4");
    WriteOptions options;
    options.width = kWidth;
    options.height = kHeight;
    VideoWriter writer(path.string(), options);
    for (int i = 10 * p; i < 10 * (p + 1); ++i) {
      Frame f = grey(i);
      f.timestamp_s = times[i];
      writer.write(f);
    }
    writer.close();
    parts.push_back(path.string());
  }
  const fs::path joined = out_dir() / "sparse-joined.mp4";
  concat_videos(parts, joined.string());

  VideoReader reader(joined.string(), ReadOptions{});
  int i = 0;
  while (auto frame = reader.next()) {
    REQUIRE(i < 20);
    CAPTURE(i);
    CHECK(std::abs(frame->timestamp_s - times[i]) < 1e-3);
    CHECK(std::abs(mean(*frame) - grey_level(i)) < 6.0);
    ++i;
  }
  CHECK_FALSE(reader.truncated());
  CHECK(i == 20);
}

TEST_CASE("concat_videos of a single part remuxes it") {
  const std::string part = write_part("single.mp4", "h264", 0, 10);
  const fs::path joined = out_dir() / "single-joined.mp4";
  concat_videos({part}, joined.string());
  VideoReader reader(joined.string(), ReadOptions{});
  int count = 0;
  while (auto frame = reader.next()) {
    CHECK(std::abs(frame->timestamp_s - count / kFps) < 1e-3);
    ++count;
  }
  CHECK(count == 10);
}

TEST_CASE("concat_videos names a part it cannot read") {
  const std::string present = write_part("present.mp4", "h264", 0, 10);
  const std::string missing = (out_dir() / "missing.mp4").string();
  try {
    concat_videos({present, missing}, (out_dir() / "never.mp4").string());
    FAIL("no error for " << missing);
  } catch (const llama::Error& e) {
    CHECK((e.code() == llama::ExitCode::output || e.code() == llama::ExitCode::bad_input));
    CHECK(std::string(e.what()).find(missing) != std::string::npos);
  }
}

TEST_CASE("concat_videos rejects parts of different sizes and an empty list") {
  const std::string part = write_part("size-a.mp4", "h264", 0, 5);
  const fs::path other = out_dir() / "size-b.mp4";
  {
    WriteOptions options;
    options.width = 32;
    options.height = 32;
    VideoWriter writer(other.string(), options);
    Frame f;
    f.width = f.height = 32;
    f.rgb.assign(32 * 32 * 3, 100);
    writer.write(f);
  }
  for (const std::vector<std::string>& parts :
       {std::vector<std::string>{part, other.string()}, std::vector<std::string>{}}) {
    CAPTURE(parts.size());
    try {
      concat_videos(parts, (out_dir() / "rejected.mp4").string());
      FAIL("no error");
    } catch (const llama::Error& e) {
      CHECK(e.code() == llama::ExitCode::internal);
    }
  }
}

TEST_CASE("concat_videos reports an output it cannot write as an output error") {
  const std::string part = write_part("unwritable-src.mp4", "h264", 0, 3);
  const std::string path = "/nonexistent-dir/joined.mp4";
  try {
    concat_videos({part}, path);
    FAIL("no error for " << path);
  } catch (const llama::Error& e) {
    CHECK(e.code() == llama::ExitCode::output);
    CHECK(std::string(e.what()).find(path) != std::string::npos);
  }
}
