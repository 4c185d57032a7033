// Decoded pictures, in whatever pixel format the decoder made, to the tightly packed and
// upright RGB24 that a Frame holds. Part of the video layer's insides: FFmpeg's types are
// named here, never included, so no header outside lib/video sees FFmpeg.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "video/frame.h"

struct AVFrame;
struct SwsContext;

namespace llama::video {

class RgbConverter {
 public:
  explicit RgbConverter(std::string path) : path_(std::move(path)) {}  // names it in errors
  ~RgbConverter();
  RgbConverter(const RgbConverter&) = delete;
  RgbConverter& operator=(const RgbConverter&) = delete;

  // Fills out.width, out.height and out.rgb from `picture`, turned clockwise by `rotation`
  // degrees (0, 90, 180 or 270).
  void convert(const AVFrame& picture, int rotation, Frame& out);

 private:
  void prepare(const AVFrame& picture);

  std::string path_;
  SwsContext* sws_ = nullptr;
  AVFrame* scratch_ = nullptr;  // padded RGB rows, for what cannot be written in place
  // What sws_ was made for.
  int width_ = 0, height_ = 0, format_ = -1, colorspace_ = -1;
  bool full_range_ = false;
};

// The clockwise turn (0, 90, 180 or 270 degrees) that shows a stream upright, as the ffmpeg
// CLI and players apply it, from the stream's display matrix (nullptr: none). Phones store
// portrait video as landscape pictures with such a matrix. Angles that are not quarter turns
// give 0.
int upright_rotation(const int32_t* display_matrix);

}  // namespace llama::video
