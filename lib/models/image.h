// Images as the model families take them: a view of RGB pixels the caller owns (a decoded
// frame), and the tensors a model input is made from.
#pragma once

#include <cstdint>

#include <torch/types.h>

namespace llama::models {

// [height, width, 3] RGB, row-major, tightly packed; not owned.
struct ImageView {
  const uint8_t* rgb = nullptr;
  int width = 0;
  int height = 0;
};

// A rectangle in source-image pixels.
struct Rect {
  float x = 0;
  float y = 0;
  float w = 0;
  float h = 0;
};

// The batch resized (bilinear, aspect not kept, as the reference pipelines do) to
// [N, height, width, 3] float32 with value = pixel * scale + offset, on `device`.
// The pixels are wrapped with torch::from_blob: no copy before the resize.
torch::Tensor resize_batch(const std::vector<ImageView>& images, int width, int height,
                           double scale, double offset, const torch::Device& device);

// The same for one region of each image (crop, then resize); regions are clamped to the image.
torch::Tensor crop_resize_batch(const std::vector<ImageView>& images,
                                const std::vector<Rect>& regions, int width, int height,
                                double scale, double offset, const torch::Device& device);

float iou(const Rect& a, const Rect& b);

}  // namespace llama::models
