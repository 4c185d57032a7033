// A decoded frame as a plain RGB24 buffer: layers above wrap it as a tensor without a copy
// (torch::from_blob), so this layer needs no torch headers.
#pragma once

#include <cstdint>
#include <vector>

namespace llama::video {

struct Frame {
  int width = 0;
  int height = 0;
  int64_t index = 0;         // position in the source video (0-based, counts every frame)
  double timestamp_s = 0.0;  // presentation time relative to the stream's start
  std::vector<uint8_t> rgb;  // [height, width, 3], row-major, tightly packed
};

}  // namespace llama::video
