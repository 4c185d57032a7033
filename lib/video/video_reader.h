// Demuxes and decodes any container/codec FFmpeg knows into RGB frames, with sampling
// (fps or stride) and a time range. Errors a user can cause throw llama::Error(bad_input).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "video/frame.h"

namespace llama::video {

// How far a reader got: the last frame it gave and its sampling progress. A reader opened with
// it (ReadOptions::resume) gives exactly the frames the first would have given next: a run
// resumed from a checkpoint sees the same stream as one never stopped.
struct ReadPosition {
  int64_t last_index = -1;  // -1: nothing given yet
  double last_s = 0.0;
  int64_t decoded = 0;  // frames decoded up to it, kept or not
  bool have_first_kept = false;
  double first_kept_s = 0.0;
  int64_t next_tick = 1;
  int64_t fps_survivors = 0;
};

struct ReadOptions {
  int threads = 0;       // decoder threads; 0 lets FFmpeg choose
  double fps = 0.0;      // keep at most this many frames per second; 0 keeps every frame
  int stride = 1;        // keep every stride-th frame (applied after fps)
  double start_s = 0.0;  // first timestamp to keep
  double end_s = -1.0;   // stop before this timestamp; < 0 reads to the end
  ReadPosition resume;   // continue after this frame (seeks to the keyframe before it)
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

// Timestamps closer than this are one (containers quantise them): a frame counts as at or
// after start_s, or at end_s, within it. A cluster segment's warm-up ends by the same rule.
double timestamp_slack_s(double fps);

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
  ReadPosition position() const;   // after the last frame next() gave

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace llama::video
