// Model inputs from RGB frames: bilinear resize (optionally of a crop) to the model's input
// size, scaled and offset, as an NHWC float batch on the model's device; and box overlap.
#include "models/image.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <torch/torch.h>

#include "base/error.h"

namespace llama::models {

namespace {

namespace F = torch::nn::functional;

void check_image(const ImageView& image) {
  if (image.rgb == nullptr || image.width <= 0 || image.height <= 0)
    throw Error(ExitCode::internal, "image view is empty (" + std::to_string(image.width) + "x" +
                                        std::to_string(image.height) + ")");
}

// The pixels as a [1, 3, h, w] uint8 view. Its strides are channels-last, which the CPU
// bilinear kernel handles directly, so the float copy and the resize never transpose.
torch::Tensor nchw_view(const ImageView& image) {
  torch::Tensor hwc = torch::from_blob(const_cast<uint8_t*>(image.rgb),
                                       {image.height, image.width, 3}, torch::kUInt8);
  return hwc.permute({2, 0, 1}).unsqueeze(0);
}

// One [1, 3, h, w] uint8 view, resized to [1, height, width, 3] float with scale and offset.
torch::Tensor resize_one(const torch::Tensor& nchw, int width, int height, double scale,
                         double offset, const torch::Device& device) {
  // Convert on the target device: a GPU gets the 1-byte pixels, not 4-byte floats.
  torch::Tensor x = nchw.to(device).to(torch::kFloat);
  if (x.size(2) != height || x.size(3) != width) {
    x = F::interpolate(x, F::InterpolateFuncOptions()
                              .size(std::vector<int64_t>{height, width})
                              .mode(torch::kBilinear)
                              .align_corners(false));
  }
  x = x * scale + offset;
  return x.permute({0, 2, 3, 1});
}

torch::Tensor empty_batch(int width, int height, const torch::Device& device) {
  return torch::empty({0, height, width, 3}, torch::dtype(torch::kFloat).device(device));
}

}  // namespace

torch::Tensor resize_batch(const std::vector<ImageView>& images, int width, int height,
                           double scale, double offset, const torch::Device& device) {
  if (images.empty()) return empty_batch(width, height, device);
  std::vector<torch::Tensor> out;
  out.reserve(images.size());
  for (const ImageView& image : images) {
    check_image(image);
    out.push_back(resize_one(nchw_view(image), width, height, scale, offset, device));
  }
  return torch::cat(out, 0).contiguous();
}

torch::Tensor crop_resize_batch(const std::vector<ImageView>& images,
                                const std::vector<Rect>& regions, int width, int height,
                                double scale, double offset, const torch::Device& device) {
  if (images.size() != regions.size())
    throw Error(ExitCode::internal, "crop_resize_batch: " + std::to_string(images.size()) +
                                        " images but " + std::to_string(regions.size()) +
                                        " regions");
  if (images.empty()) return empty_batch(width, height, device);
  std::vector<torch::Tensor> out;
  out.reserve(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    const ImageView& image = images[i];
    check_image(image);
    const Rect& r = regions[i];
    // Whole pixels that the region touches, clamped; at least one pixel so that a degenerate
    // box still gives an input (the caller's detection, however thin, gets an answer).
    int64_t x0 = std::clamp<int64_t>(static_cast<int64_t>(std::floor(r.x)), 0, image.width - 1);
    int64_t y0 = std::clamp<int64_t>(static_cast<int64_t>(std::floor(r.y)), 0, image.height - 1);
    int64_t x1 =
        std::clamp<int64_t>(static_cast<int64_t>(std::ceil(r.x + r.w)), x0 + 1, image.width);
    int64_t y1 =
        std::clamp<int64_t>(static_cast<int64_t>(std::ceil(r.y + r.h)), y0 + 1, image.height);
    torch::Tensor crop = nchw_view(image).slice(2, y0, y1).slice(3, x0, x1);
    out.push_back(resize_one(crop, width, height, scale, offset, device));
  }
  return torch::cat(out, 0).contiguous();
}

float iou(const Rect& a, const Rect& b) {
  float ix = std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x);
  float iy = std::min(a.y + a.h, b.y + b.h) - std::max(a.y, b.y);
  if (ix <= 0 || iy <= 0) return 0;
  float inter = ix * iy;
  float uni = a.w * a.h + b.w * b.h - inter;
  return uni > 0 ? inter / uni : 0;
}

}  // namespace llama::models
