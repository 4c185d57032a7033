// Demuxes and decodes any container/codec FFmpeg knows into RGB frames, with sampling
// (fps or stride) and a time range. Errors a user can cause throw llama::Error(bad_input).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "video/frame.h"

namespace llama::video {

struct ReadOptions {
  int threads = 0;       // decoder threads; 0 lets FFmpeg choose
  double fps = 0.0;      // keep at most this many frames per second; 0 keeps every frame
  int stride = 1;        // keep every stride-th frame (applied after fps)
  double start_s = 0.0;  // first timestamp to keep
  double end_s = -1.0;   // stop before this timestamp; < 0 reads to the end
};

struct VideoInfo {
  std::string path;
  std::string codec;
  int width = 0;
  int height = 0;
  double fps = 0.0;         // average frame rate of the stream
  double duration_s = 0.0;  // 0 when the container does not say
  int64_t frame_count = 0;  // container's estimate; 0 when unknown
};

class VideoReader {
 public:
  VideoReader(const std::string& path, const ReadOptions& options);
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  const VideoInfo& info() const;

  // The next kept frame, or nullopt at the end. A decode error mid-stream (a truncated or
  // damaged file) ends the stream early and sets truncated(); it does not throw.
  std::optional<Frame> next();

  bool truncated() const;
  const std::string& truncation_reason() const;
  int64_t frames_decoded() const;  // every frame decoded, kept or not

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace llama::video
