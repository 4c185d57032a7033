// Tests for VideoReader on small synthetic videos that the ffmpeg CLI makes at test time, so
// the suite needs no sample files: decoding, sampling, time ranges, errors and truncation.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "base/error.h"
#include "video/video_probe.h"
#include "video/video_reader.h"

namespace {

namespace fs = std::filesystem;
using llama::video::Frame;
using llama::video::ReadOptions;
using llama::video::VideoReader;

// Each video is made once per run, on first use, in a folder removed at exit.
class Samples {
 public:
  static Samples& get() {
    static Samples samples;
    return samples;
  }
  ~Samples() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path make(const std::string& name, const std::string& ffmpeg_args) {
    const fs::path out = dir_ / name;
    if (!fs::exists(out)) {
      const std::string cmd =
          "ffmpeg -v error -nostdin -y " + ffmpeg_args + " \"" + out.string() + "\"";
      REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "failed: " << cmd);
    }
    return out;
  }

  // The first `bytes` bytes of `source`: a file cut off mid-copy.
  fs::path cut(const fs::path& source, const std::string& name, std::uintmax_t bytes) {
    const fs::path out = dir_ / name;
    std::ifstream in(source, std::ios::binary);
    std::vector<char> data(static_cast<size_t>(bytes));
    in.read(data.data(), static_cast<std::streamsize>(bytes));
    std::ofstream(out, std::ios::binary).write(data.data(), in.gcount());
    return out;
  }

  fs::path write_text(const std::string& name, const std::string& text) {
    const fs::path out = dir_ / name;
    std::ofstream(out) << text;
    return out;
  }

  const fs::path& dir() const { return dir_; }

 private:
  Samples()
      : dir_(fs::temp_directory_path() /
             ("llama-test-video-reader-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
  }
  fs::path dir_;
};

// 2 s at 10 fps, keyframe every 5 frames so that seeking lands mid-stream.
fs::path testsrc_mp4() {
  return Samples::get().make("testsrc.mp4",
                             "-f lavfi -i testsrc2=size=160x120:rate=10 -t 2 -c:v libx264 "
                             "-pix_fmt yuv420p -g 5");
}

// Reads to the end; the cap turns a reader that never ends into a failure, not a hang.
std::vector<Frame> read_all(VideoReader& reader) {
  std::vector<Frame> frames;
  while (auto frame = reader.next()) {
    frames.push_back(std::move(*frame));
    REQUIRE(frames.size() < 10000);
  }
  return frames;
}

std::vector<Frame> read_all(const fs::path& path, const ReadOptions& options = {}) {
  VideoReader reader(path.string(), options);
  return read_all(reader);
}

void check_bad_input(const fs::path& path) {
  try {
    VideoReader reader(path.string(), ReadOptions{});
    FAIL("no error for " << path);
  } catch (const llama::Error& e) {
    CHECK(e.code() == llama::ExitCode::bad_input);
    const std::string message = e.what();
    CHECK_MESSAGE(message.find(path.filename().string()) != std::string::npos, message);
  }
}

}  // namespace

TEST_CASE("VideoReader decodes every frame with its size, index and timestamp") {
  VideoReader reader(testsrc_mp4().string(), ReadOptions{});
  CHECK(reader.info().width == 160);
  CHECK(reader.info().height == 120);
  CHECK(reader.info().codec == "h264");
  CHECK(reader.info().fps == doctest::Approx(10.0));
  CHECK(reader.info().duration_s == doctest::Approx(2.0).epsilon(0.01));
  CHECK(reader.info().frame_count == 20);

  const std::vector<Frame> frames = read_all(reader);
  REQUIRE(frames.size() == 20);
  for (size_t i = 0; i < frames.size(); ++i) {
    CAPTURE(i);
    CHECK(frames[i].width == 160);
    CHECK(frames[i].height == 120);
    CHECK(frames[i].rgb.size() == 160u * 120u * 3u);
    CHECK(frames[i].index == static_cast<int64_t>(i));
    CHECK(frames[i].timestamp_s == doctest::Approx(i * 0.1).epsilon(1e-6));
  }
  CHECK(reader.frames_decoded() == 20);
  CHECK_FALSE(reader.truncated());
  CHECK_FALSE(reader.next().has_value());  // stays at the end
}

TEST_CASE("VideoReader samples by fps and stride") {
  SUBCASE("fps=5 keeps every other frame of a 10 fps video") {
    ReadOptions options;
    options.fps = 5;
    VideoReader reader(testsrc_mp4().string(), options);
    const std::vector<Frame> frames = read_all(reader);
    REQUIRE(frames.size() == 10);
    for (size_t i = 0; i < frames.size(); ++i) {
      CHECK(frames[i].timestamp_s == doctest::Approx(i * 0.2).epsilon(1e-6));
      CHECK(frames[i].index == static_cast<int64_t>(2 * i));
    }
    CHECK(reader.frames_decoded() == 20);  // sampling drops frames after decoding them
  }
  SUBCASE("stride=4 keeps frames 0, 4, 8, 12, 16") {
    ReadOptions options;
    options.stride = 4;
    const std::vector<Frame> frames = read_all(testsrc_mp4(), options);
    REQUIRE(frames.size() == 5);
    for (size_t i = 0; i < frames.size(); ++i) CHECK(frames[i].index == int64_t(4 * i));
  }
  SUBCASE("fps above the video's rate keeps every frame") {
    ReadOptions options;
    options.fps = 30;
    CHECK(read_all(testsrc_mp4(), options).size() == 20);
  }
  SUBCASE("fps then stride") {
    ReadOptions options;
    options.fps = 5;
    options.stride = 2;
    const std::vector<Frame> frames = read_all(testsrc_mp4(), options);
    REQUIRE(frames.size() == 5);
    CHECK(frames[1].index == 4);
  }
}

TEST_CASE("VideoReader honours start_s and end_s") {
  SUBCASE("start_s on a keyframe") {
    ReadOptions options;
    options.start_s = 1.0;
    const std::vector<Frame> frames = read_all(testsrc_mp4(), options);
    REQUIRE(frames.size() == 10);
    CHECK(frames.front().index == 10);
    for (const Frame& f : frames) CHECK(f.timestamp_s >= 1.0 - 1e-9);
  }
  SUBCASE("start_s between keyframes decodes from the keyframe before it") {
    ReadOptions options;
    options.start_s = 1.25;
    const std::vector<Frame> frames = read_all(testsrc_mp4(), options);
    REQUIRE(frames.size() == 7);
    CHECK(frames.front().index == 13);
    CHECK(frames.front().timestamp_s == doctest::Approx(1.3));
  }
  SUBCASE("end_s stops before that timestamp") {
    ReadOptions options;
    options.end_s = 0.5;
    VideoReader reader(testsrc_mp4().string(), options);
    const std::vector<Frame> frames = read_all(reader);
    REQUIRE(frames.size() == 5);
    CHECK(frames.back().index == 4);
    CHECK_FALSE(reader.truncated());  // stopping early on purpose is not truncation
  }
  SUBCASE("a range with fps sampling") {
    ReadOptions options;
    options.start_s = 0.5;
    options.end_s = 1.5;
    options.fps = 5;
    const std::vector<Frame> frames = read_all(testsrc_mp4(), options);
    REQUIRE(frames.size() == 5);
    CHECK(frames.front().timestamp_s == doctest::Approx(0.5));
    CHECK(frames.back().timestamp_s == doctest::Approx(1.3));
  }
  SUBCASE("start_s in an MPEG-TS, where seeks can land after the target") {
    const fs::path ts = Samples::get().make(
        "testsrc.ts", "-f lavfi -i testsrc2=size=160x120:rate=10 -t 3 -c:v libx264 -g 20");
    ReadOptions options;
    options.start_s = 1.0;
    const std::vector<Frame> frames = read_all(ts, options);
    REQUIRE(frames.size() == 20);
    CHECK(frames.front().index == 10);
    CHECK(frames.front().timestamp_s == doctest::Approx(1.0));
  }
  SUBCASE("start_s past the end gives no frames") {
    ReadOptions options;
    options.start_s = 5.0;
    VideoReader reader(testsrc_mp4().string(), options);
    CHECK(read_all(reader).empty());
    CHECK_FALSE(reader.truncated());
  }
}

TEST_CASE("VideoReader resumed from a position gives exactly the frames after it") {
  // Sampling and a start time carry state through the stream; a resumed reader must give the
  // same frames (index, time and pixels) as the first one would have given next, from any
  // point: mid-GOP, on a keyframe, before the first frame and after the last.
  const std::string mts = Samples::get()
                              .make("testsrc.ts",
                                    "-f lavfi -i testsrc2=size=160x120:rate=10 -t 2 "
                                    "-c:v libx264 -pix_fmt yuv420p -g 5")
                              .string();
  for (const std::string& path : {testsrc_mp4().string(), mts}) {
    for (ReadOptions options :
         {ReadOptions{}, ReadOptions{0, 3.0, 1, 0.0, -1.0, {}},
          ReadOptions{0, 0.0, 3, 0.35, -1.0, {}}, ReadOptions{0, 4.0, 2, 0.5, 1.8, {}}}) {
      CAPTURE(path);
      CAPTURE(options.fps);
      CAPTURE(options.stride);
      const std::vector<Frame> all = read_all(path, options);
      REQUIRE(all.size() >= 3);
      for (size_t stop : {size_t{0}, size_t{1}, all.size() / 2, all.size() - 1, all.size()}) {
        CAPTURE(stop);
        VideoReader first(path, options);
        for (size_t i = 0; i < stop; ++i) REQUIRE(first.next());
        ReadOptions resumed = options;
        resumed.resume = first.position();
        const std::vector<Frame> rest = read_all(path, resumed);
        REQUIRE(rest.size() == all.size() - stop);
        for (size_t i = 0; i < rest.size(); ++i) {
          CHECK(rest[i].index == all[stop + i].index);
          CHECK(rest[i].timestamp_s == doctest::Approx(all[stop + i].timestamp_s));
          CHECK(rest[i].rgb == all[stop + i].rgb);
        }
        VideoReader second(path, resumed);
        while (second.next()) {
        }
        VideoReader whole(path, options);
        while (whole.next()) {
        }
        CHECK(second.frames_decoded() == whole.frames_decoded());
      }
    }
  }
}

TEST_CASE("VideoReader converts colours to RGB") {
  const fs::path red = Samples::get().make(
      "red.mp4", "-f lavfi -i color=c=red:s=64x48:r=10 -t 1 -c:v libx264 -pix_fmt yuv420p");
  const std::vector<Frame> frames = read_all(red);
  REQUIRE(frames.size() == 10);
  for (const Frame& f : frames) {
    REQUIRE(f.rgb.size() == 64u * 48u * 3u);
    int worst = 0;
    for (size_t p = 0; p < f.rgb.size(); p += 3) {
      worst = std::max({worst, 255 - f.rgb[p], int(f.rgb[p + 1]), int(f.rgb[p + 2])});
    }
    CHECK(worst <= 10);
  }
}

TEST_CASE("VideoReader reads other containers and codecs") {
  const fs::path avi = Samples::get().make(
      "testsrc.avi", "-f lavfi -i testsrc2=size=96x64:rate=10 -t 1 -c:v mpeg4 -q:v 3");
  VideoReader reader(avi.string(), ReadOptions{});
  CHECK(reader.info().codec == "mpeg4");
  CHECK(reader.info().frame_count == 10);
  const std::vector<Frame> frames = read_all(reader);
  REQUIRE(frames.size() == 10);
  CHECK(frames.back().index == 9);
  CHECK(frames.back().timestamp_s == doctest::Approx(0.9));
  CHECK_FALSE(reader.truncated());
}

namespace {

// What `ffmpeg -pix_fmt rgb24` makes of every frame, as one tightly packed byte string.
std::string cli_rgb(const fs::path& video) {
  const fs::path raw = Samples::get().dir() / (video.filename().string() + ".rgb");
  const std::string cmd = "ffmpeg -v error -nostdin -y -i \"" + video.string() +
                          "\" -f rawvideo -pix_fmt rgb24 \"" + raw.string() + "\"";
  REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "failed: " << cmd);
  std::ifstream in(raw, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every frame of `video` as the reader gives it equals what the CLI makes of it, within the
// rounding two conversions may differ by; an unconverted or misplaced pixel is off by tens.
void check_like_cli(const fs::path& video, int width, int height) {
  const std::vector<Frame> frames = read_all(video);
  const std::string expected = cli_rgb(video);
  const size_t frame_bytes = static_cast<size_t>(width) * height * 3;
  REQUIRE(!frames.empty());
  REQUIRE(expected.size() == frames.size() * frame_bytes);
  int worst = 0;
  size_t worst_at = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    REQUIRE(frames[i].width == width);
    REQUIRE(frames[i].height == height);
    REQUIRE(frames[i].rgb.size() == frame_bytes);
    for (size_t b = 0; b < frame_bytes; ++b) {
      const int diff = std::abs(int(frames[i].rgb[b]) -
                                int(static_cast<uint8_t>(expected[i * frame_bytes + b])));
      if (diff > worst) worst = diff, worst_at = b;
    }
  }
  CHECK_MESSAGE(worst <= 2, "off by " << worst << " at column " << (worst_at / 3) % width
                                      << ", row " << worst_at / 3 / width);
}

}  // namespace

TEST_CASE("VideoReader converts every pixel at odd and portrait sizes, as the ffmpeg CLI does") {
  // Widths that are not a multiple of 16 once corrupted the heap (568, 570, 1080) or left
  // the last columns unconverted (854); odd sizes need codecs that allow them.
  struct Case {
    std::string name, args;
    int width, height;
  };
  const std::vector<Case> cases = {
      {"w568.mp4", "-f lavfi -i testsrc2=size=568x320:rate=5 -t 1 -c:v libx264", 568, 320},
      {"w570.mp4", "-f lavfi -i testsrc2=size=570x322:rate=5 -t 1 -c:v libx264", 570, 322},
      {"w854.mp4", "-f lavfi -i testsrc2=size=854x480:rate=5 -t 1 -c:v libx264", 854, 480},
      {"portrait.mp4", "-f lavfi -i testsrc2=size=1080x1920:rate=5 -t 0.6 -c:v libx264", 1080,
       1920},
      {"odd.mkv", "-f lavfi -i testsrc=size=321x241:rate=5 -t 1 -c:v ffv1 -pix_fmt yuv420p", 321,
       241},
      {"odd444.mp4", "-f lavfi -i testsrc=size=333x47:rate=5 -t 1 -c:v libx264 -pix_fmt yuv444p",
       333, 47},
      {"tiny.mkv", "-f lavfi -i testsrc=size=17x9:rate=5 -t 1 -c:v ffv1 -pix_fmt yuv420p", 17, 9},
      {"mjpeg.avi", "-f lavfi -i testsrc=size=239x135:rate=5 -t 1 -c:v mjpeg -q:v 3", 239, 135},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    check_like_cli(Samples::get().make(c.name, c.args), c.width, c.height);
  }
}

TEST_CASE("VideoReader turns pictures upright as the stream's display matrix says") {
  // Phones store portrait video as landscape pictures with a rotation; the ffmpeg CLI and
  // players show them upright, and so must the frames the detectors see.
  const fs::path base = Samples::get().make(
      "landscape.mp4", "-f lavfi -i testsrc2=size=96x64:rate=5 -t 1 -c:v libx264");
  for (int degrees : {90, 180, 270}) {
    CAPTURE(degrees);
    const std::string name = "turned" + std::to_string(degrees) + ".mov";
    const fs::path turned = Samples::get().make(
        name,
        "-i \"" + base.string() + "\" -c copy -metadata:s:v:0 rotate=" + std::to_string(degrees));
    VideoReader reader(turned.string(), ReadOptions{});
    const bool sideways = degrees != 180;
    CHECK(reader.info().width == (sideways ? 64 : 96));
    CHECK(reader.info().height == (sideways ? 96 : 64));
    check_like_cli(turned, sideways ? 64 : 96, sideways ? 96 : 64);
  }
}

TEST_CASE("VideoReader finds the video behind an audio stream, in any container") {
  // Each as a user might hand it over: audio first (the video is stream 1), VP9 in WebM,
  // MPEG-2 in a transport stream, HEVC, and an animated GIF.
  const std::string clip = "-f lavfi -i testsrc2=size=96x64:rate=10 -t 1 ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"audio-first.mp4", "-f lavfi -i sine=frequency=440:duration=1 " + clip +
                              "-map 0:a -map 1:v -c:v libx264 -c:a aac"},
      {"vp9.webm", clip + "-c:v libvpx-vp9 -b:v 200k"},
      {"mpeg2.ts", clip + "-c:v mpeg2video"},
      {"hevc.mp4", clip + "-c:v libx265 -x265-params log-level=error"},
      {"anim.gif", clip},
  };
  for (const auto& [name, args] : cases) {
    CAPTURE(name);
    VideoReader reader(Samples::get().make(name, args).string(), ReadOptions{});
    CHECK(reader.info().width == 96);
    CHECK(reader.info().height == 64);
    const std::vector<Frame> frames = read_all(reader);
    CHECK(frames.size() == 10);
    CHECK_FALSE(reader.truncated());
  }
}

TEST_CASE("VideoReader gives the same pixels with any thread count") {
  ReadOptions one;
  one.threads = 1;
  ReadOptions many;
  many.threads = 4;
  const std::vector<Frame> a = read_all(testsrc_mp4(), one);
  const std::vector<Frame> b = read_all(testsrc_mp4(), many);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i].rgb == b[i].rgb);
}

TEST_CASE("VideoReader rejects files that are not videos with bad_input") {
  Samples& samples = Samples::get();
  SUBCASE("missing file") {
    check_bad_input(samples.dir() / "no-such-video.mp4");
  }
  SUBCASE("a folder") {
    check_bad_input(samples.dir());
  }
  SUBCASE("text file") {
    check_bad_input(samples.write_text("notes.txt", "these are notes,\nnot a video\n"));
  }
  SUBCASE("text file FFmpeg would open as ANSI art") {
    check_bad_input(samples.write_text("readme.nfo", "release notes\n"));
  }
  SUBCASE("zero-length file") {
    const fs::path empty = samples.write_text("empty.mp4", "");
    check_bad_input(empty);
    try {
      VideoReader reader(empty.string(), ReadOptions{});
    } catch (const llama::Error& e) {
      CHECK(std::string(e.what()).find("empty") != std::string::npos);
    }
  }
  SUBCASE("audio only") {
    const fs::path song = samples.make("song.m4a", "-f lavfi -i sine=frequency=440:duration=1");
    check_bad_input(song);
    try {
      VideoReader reader(song.string(), ReadOptions{});
    } catch (const llama::Error& e) {
      CHECK(std::string(e.what()).find("audio only") != std::string::npos);
    }
  }
}

TEST_CASE("VideoReader ends a truncated video early and says so") {
  Samples& samples = Samples::get();
  const std::string source = "-f lavfi -i testsrc2=size=160x120:rate=10 -t 4 -c:v libx264 ";
  const fs::path mkv = samples.make("long.mkv", source);
  const fs::path faststart = samples.make("long-faststart.mp4", source + "-movflags +faststart");
  const fs::path plain_mp4 = samples.make("long.mp4", source);

  SUBCASE("an mkv or a faststart mp4 cut in half decodes its first part") {
    for (const fs::path& full : {mkv, faststart}) {
      CAPTURE(full);
      const fs::path half =
          samples.cut(full, "half-" + full.filename().string(), fs::file_size(full) / 2);
      VideoReader reader(half.string(), ReadOptions{});
      const std::vector<Frame> frames = read_all(reader);
      CHECK(frames.size() > 0);
      CHECK(frames.size() < 40);
      CHECK(reader.truncated());
      CHECK_FALSE(reader.truncation_reason().empty());
      MESSAGE(half.filename().string() << ": " << reader.truncation_reason());
      CHECK_FALSE(reader.next().has_value());
    }
  }

  SUBCASE("an mp4 whose index was at the end cannot be opened") {
    check_bad_input(samples.cut(plain_mp4, "half-long.mp4", fs::file_size(plain_mp4) / 2));
  }
  SUBCASE("a file cut inside its header has no frames") {
    const fs::path stub = samples.cut(mkv, "stub.mkv", 700);
    try {
      VideoReader reader(stub.string(), ReadOptions{});
      CHECK(read_all(reader).empty());
      CHECK(reader.truncated());
    } catch (const llama::Error& e) {
      CHECK(e.code() == llama::ExitCode::bad_input);
    }
  }
}

TEST_CASE("VideoReader reads the inputs scripts/fuzz found, or refuses them as bad input") {
  // colorspace-18.bin: an MPEG-4 stream whose pictures carry colour matrix code 18, which
  // AVColorSpace does not name; reading it as the enum was undefined behaviour (UBSan under
  // scripts/sanitize catches it coming back).
  const fs::path dir = fs::path(LLAMA_SOURCE_DIR) / "tests/video/fuzz";
  REQUIRE(fs::is_directory(dir));
  for (const auto& entry : fs::directory_iterator(dir)) {
    CAPTURE(entry.path());
    try {
      VideoReader reader(entry.path().string(), ReadOptions{});
      for (const Frame& f : read_all(reader))
        CHECK(f.rgb.size() == static_cast<size_t>(f.width) * f.height * 3);
    } catch (const llama::Error& e) {
      CHECK(e.code() == llama::ExitCode::bad_input);
    }
  }
}

TEST_CASE("probe_inputs opens every input once, refusing no input and a bad one by name") {
  CHECK_THROWS_WITH_AS(llama::video::probe_inputs({}), doctest::Contains("--input"), llama::Error);
  const auto infos = llama::video::probe_inputs({testsrc_mp4().string(), testsrc_mp4().string()});
  REQUIRE(infos.size() == 2);
  CHECK(infos[1].width == 160);
  CHECK(infos[1].fps == doctest::Approx(10));
  const fs::path text = Samples::get().write_text("notes.txt", "not a video\n");
  try {
    llama::video::probe_inputs({testsrc_mp4().string(), text.string()});
    FAIL("no error");
  } catch (const llama::Error& e) {
    CHECK(e.code() == llama::ExitCode::bad_input);
    CHECK(std::string(e.what()).find("notes.txt") != std::string::npos);
  }
}
