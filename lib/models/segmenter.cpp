// Segmenter: the selfie model at 256x256, its mask resized back to each source image.
#include "models/segmenter.h"

#include <torch/torch.h>

#include "base/error.h"
#include "models/device.h"
#include "models/tfjs/tfjs_model.h"

namespace llama::models {

namespace {

constexpr int kInputSize = 256;  // selfie's input_1 is [N, 256, 256, 3], pixels / 255

}  // namespace

struct Segmenter::State {
  tfjs::TfjsModel model;
  torch::Device device;
};

Segmenter::Segmenter(const std::string& model_json, const std::string& device) {
  tfjs::TfjsModel model(model_json);
  torch::Device dev = parse_device(device, model_json);
  model.to(dev);
  state_ = std::make_unique<State>(State{std::move(model), dev});
}

Segmenter::~Segmenter() = default;

std::vector<Mask> Segmenter::segment(const std::vector<ImageView>& images) {
  if (images.empty()) return {};
  torch::NoGradGuard no_grad;
  torch::Tensor input =
      resize_batch(images, kInputSize, kInputSize, 1.0 / 255.0, 0.0, state_->device);
  torch::Tensor out = state_->model.run({input}).at(0);  // [N, 256, 256, 1]
  std::vector<Mask> masks;
  masks.reserve(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    const ImageView& image = images[i];
    // Images of a batch may differ in size, so each mask is resized on its own; on the
    // model's device, so only the final mask crosses to the CPU.
    torch::Tensor m =
        out[static_cast<int64_t>(i)].permute({2, 0, 1}).unsqueeze(0);  // [1, 1, 256, 256]
    m = torch::nn::functional::interpolate(
        m, torch::nn::functional::InterpolateFuncOptions()
               .size(std::vector<int64_t>{image.height, image.width})
               .mode(torch::kBilinear)
               .align_corners(false));
    // Bilinear stays within its neighbours, but the network's sigmoid output is then only
    // nearly 0..1 after float rounding; the contract is 0..1.
    m = m.clamp(0, 1).to(torch::kCPU, torch::kFloat).contiguous();
    Mask mask;
    mask.width = image.width;
    mask.height = image.height;
    const float* p = m.data_ptr<float>();
    mask.values.assign(p, p + static_cast<size_t>(image.width) * image.height);
    masks.push_back(std::move(mask));
  }
  return masks;
}

}  // namespace llama::models
