// libFuzzer target: an input video as `llama run` opens it. The bytes become a file (FFmpeg
// probes and demuxes files, not memory, in VideoReader) and the first few frames are
// decoded. A bad file must end in llama::Error(bad_input) or a short, truncated stream;
// anything else escaping, and any frame whose buffer disagrees with its size, is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "base/error.h"
#include "fuzz_util.h"
#include "video/video_reader.h"

namespace {

using llama::fuzz::finding;

// Enough to run the demuxer, the decoder and the RGB conversion, few enough to keep a
// fuzzed file that declares hours of video fast.
constexpr int kMaxFrames = 5;

volatile unsigned pixel_sum = 0;  // written, so reading every pixel is not optimised away

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // No extension: FFmpeg then picks the demuxer by content alone, as for a user's file with a
  // misleading name.
  static const std::string path = (llama::fuzz::scratch_dir("llama-fuzz-video") / "input").string();
  llama::fuzz::write_file(path, data, size);
  try {
    llama::video::ReadOptions options;
    options.threads = 1;  // deterministic, and libFuzzer's -jobs runs many of these at once
    llama::video::VideoReader reader(path, options);
    const llama::video::VideoInfo& info = reader.info();
    for (int i = 0; i < kMaxFrames; ++i) {
      std::optional<llama::video::Frame> frame = reader.next();
      if (!frame) break;
      // Layers above wrap the buffer as a [height, width, 3] tensor without copying.
      const size_t want = static_cast<size_t>(frame->width) * frame->height * 3;
      if (frame->width <= 0 || frame->height <= 0 || frame->rgb.size() != want)
        finding("frame " + std::to_string(frame->index) + " is " + std::to_string(frame->width) +
                "x" + std::to_string(frame->height) + " with " + std::to_string(frame->rgb.size()) +
                " bytes of RGB");
      // Read every byte (into a volatile, so the loop is not optimised away): ASan then
      // checks that the whole buffer is really there.
      unsigned sum = 0;
      for (uint8_t b : frame->rgb) sum += b;
      pixel_sum = sum;
    }
    (void)info;
    (void)reader.truncated();
    (void)reader.truncation_reason();
    (void)reader.frames_decoded();
  } catch (const llama::Error& e) {
    if (e.code() != llama::ExitCode::bad_input)
      finding("llama::Error with exit code " + std::to_string(static_cast<int>(e.code())) +
              ", not bad_input: " + e.what());
  }
  return 0;
}
