// Tests for VideoWriter: frames written with h264 and mpeg4 read back through VideoReader with
// their timestamps and (lossy) content intact, plus size checks and write errors.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "base/error.h"
#include "temp_dir.h"
#include "video/video_reader.h"
#include "video/video_writer.h"

namespace {

namespace fs = std::filesystem;
using llama::video::Frame;
using llama::video::ReadOptions;
using llama::video::VideoReader;
using llama::video::VideoWriter;
using llama::video::WriteOptions;

// A private folder for this run's outputs, removed at exit.
const fs::path& out_dir() {
  static llama::test::TempDir dir("video-writer");
  return dir.path();
}

// A smooth gradient that moves with i, so that frames differ but compress well.
Frame gradient(int width, int height, int i, double timestamp_s) {
  Frame f;
  f.width = width;
  f.height = height;
  f.index = i;
  f.timestamp_s = timestamp_s;
  f.rgb.resize(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = &f.rgb[(static_cast<size_t>(y) * width + x) * 3];
      p[0] = static_cast<uint8_t>(x * 3);
      p[1] = static_cast<uint8_t>(y * 4);
      p[2] = static_cast<uint8_t>(40 + x + y + 4 * i);
    }
  }
  return f;
}

std::vector<Frame> read_back(const fs::path& path) {
  VideoReader reader(path.string(), ReadOptions{});
  std::vector<Frame> frames;
  while (auto frame = reader.next()) {
    frames.push_back(std::move(*frame));
    REQUIRE(frames.size() < 1000);
  }
  CHECK_FALSE(reader.truncated());
  return frames;
}

// Mean absolute difference of each channel over the region both frames cover.
std::vector<double> channel_diff(const Frame& a, const Frame& b) {
  const int width = std::min(a.width, b.width);
  const int height = std::min(a.height, b.height);
  std::vector<double> sum(3, 0.0);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < 3; ++c) {
        sum[c] += std::abs(int(a.rgb[(size_t(y) * a.width + x) * 3 + c]) -
                           int(b.rgb[(size_t(y) * b.width + x) * 3 + c]));
      }
    }
  }
  for (double& s : sum) s /= double(width) * height;
  return sum;
}

WriteOptions options_for(const std::string& codec, int width, int height, double fps) {
  WriteOptions options;
  options.codec = codec;
  options.width = width;
  options.height = height;
  options.fps = fps;
  return options;
}

}  // namespace

TEST_CASE("VideoWriter round-trips frames, timestamps and content") {
  // threads 1: the encode op's one core, encoding on the calling thread; 0: every core.
  for (int threads : {0, 1})
    for (const std::string codec : {"h264", "mpeg4"}) {
      CAPTURE(codec);
      CAPTURE(threads);
      const fs::path path =
          out_dir() / ("roundtrip-" + codec + "-" + std::to_string(threads) + ".mp4");
      std::vector<Frame> written;
      {
        WriteOptions options = options_for(codec, 64, 48, 5.0);
        options.threads = threads;
        VideoWriter writer(path.string(), options);
        for (int i = 0; i < 15; ++i) {
          written.push_back(gradient(64, 48, i, i * 0.2));
          writer.write(written.back());
        }
        CHECK(writer.frames_written() == 15);
        writer.close();
      }

      VideoReader reader(path.string(), ReadOptions{});
      CHECK(reader.info().codec == codec);
      CHECK(reader.info().fps == doctest::Approx(5.0).epsilon(0.01));
      const std::vector<Frame> frames = read_back(path);
      REQUIRE(frames.size() == 15);
      for (size_t i = 0; i < frames.size(); ++i) {
        CAPTURE(i);
        CHECK(frames[i].width == 64);
        CHECK(frames[i].height == 48);
        CHECK(std::abs(frames[i].timestamp_s - i * 0.2) < 0.01);
        for (double diff : channel_diff(frames[i], written[i])) CHECK(diff < 12.0);
      }
    }
}

TEST_CASE("VideoWriter keeps irregular timestamps and makes repeated ones increase") {
  const fs::path path = out_dir() / "irregular.mp4";
  const std::vector<double> times = {0.0, 0.1, 0.35, 0.35, 0.9, 1.0};
  {
    VideoWriter writer(path.string(), options_for("h264", 32, 32, 10.0));
    for (size_t i = 0; i < times.size(); ++i) writer.write(gradient(32, 32, int(i), times[i]));
  }  // the destructor closes the file
  const std::vector<Frame> frames = read_back(path);
  REQUIRE(frames.size() == times.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    CHECK(std::abs(frames[i].timestamp_s - times[i]) < 0.01);
    if (i > 0) CHECK(frames[i].timestamp_s > frames[i - 1].timestamp_s);
  }
}

TEST_CASE("VideoWriter crops an odd size to the even size yuv420p needs") {
  const fs::path path = out_dir() / "odd.mp4";
  const Frame frame = gradient(65, 49, 0, 0.0);
  {
    VideoWriter writer(path.string(), options_for("mpeg4", 65, 49, 10.0));
    writer.write(frame);
    writer.write(gradient(65, 49, 1, 0.1));
    writer.close();
  }
  const std::vector<Frame> frames = read_back(path);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].width == 64);
  CHECK(frames[0].height == 48);
  for (double diff : channel_diff(frames[0], frame)) CHECK(diff < 12.0);
}

TEST_CASE("VideoWriter reports a place it cannot write to as an output error") {
  const std::string path = "/nonexistent-dir/x.mp4";
  try {
    VideoWriter writer(path, options_for("h264", 64, 48, 10.0));
    FAIL("no error for " << path);
  } catch (const llama::Error& e) {
    CHECK(e.code() == llama::ExitCode::output);
    CHECK(std::string(e.what()).find(path) != std::string::npos);
  }
}

TEST_CASE("VideoWriter rejects a frame of the wrong size") {
  VideoWriter writer((out_dir() / "wrong-size.mp4").string(), options_for("h264", 64, 48, 10.0));
  try {
    writer.write(gradient(32, 48, 0, 0.0));
    FAIL("no error for a 32x48 frame");
  } catch (const llama::Error& e) {
    CHECK(e.code() == llama::ExitCode::internal);
  }
  writer.write(gradient(64, 48, 0, 0.0));  // the writer is still usable
  writer.close();
  CHECK(writer.frames_written() == 1);
}
