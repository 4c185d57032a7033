// Encodes RGB frames to an mp4 (H.264 via libx264, or MPEG-4 part 2), keeping each
// frame's timestamp. Errors throw llama::Error(output).
#pragma once

#include <memory>
#include <string>

#include "video/frame.h"

namespace llama::video {

struct WriteOptions {
  std::string codec = "h264";  // "h264" (libx264) or "mpeg4"
  int width = 0;
  int height = 0;
  double fps = 25.0;  // nominal rate written to the container; timestamps come from frames
  int crf = 23;       // h264 quality (lower is better)
  int threads = 0;    // encoder threads; 0 lets FFmpeg use every core
};

class VideoWriter {
 public:
  VideoWriter(const std::string& path, const WriteOptions& options);
  ~VideoWriter();  // closes if close() was not called; never throws
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  void write(const Frame& frame);  // frame size must equal the options' size
  void close();                    // flushes the encoder and writes the trailer
  int64_t frames_written() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace llama::video
