// blur: box-blurs the item's boxes (or the whole frame) on a copy of the frame. The frame
// is wrapped as a tensor without a copy (torch::from_blob); only the result is new memory.
#include <torch/torch.h>

#include "base/error.h"
#include "ops/builtin.h"

namespace llama::ops {

namespace {

class BlurOp : public Op {
 public:
  explicit BlurOp(const OpContext& ctx)
      : radius_(std::max(1, static_cast<int>(ctx.param_number("radius", 12)))),
        whole_frame_(ctx.param_string("target", "boxes") == "frame"),
        device_(ctx.config.count("device") ? ctx.config.at("device") : "cpu") {
    if (device_ == "cuda" && !torch::cuda::is_available())
      throw Error(ExitCode::runtime, "op '" + ctx.spec->name +
                                         "': device cuda was chosen but no CUDA device is visible "
                                         "(put cpu first in its device knob)");
  }

  void process(std::vector<Item>& batch, std::vector<Item>& out) override {
    torch::NoGradGuard no_grad;
    for (Item& item : batch) {
      if (whole_frame_ || !item.boxes.empty()) item.frame = blurred(*item.frame, item.boxes);
      out.push_back(std::move(item));
    }
  }

 private:
  std::shared_ptr<const video::Frame> blurred(const video::Frame& in,
                                              const std::vector<Box>& boxes) {
    auto result = std::make_shared<video::Frame>(in);  // copy-on-write: others may hold `in`
    // [H, W, 3] uint8, sharing the copy's memory; writes through it land in `result`.
    torch::Tensor image =
        torch::from_blob(result->rgb.data(), {in.height, in.width, 3}, torch::kUInt8);
    std::vector<Box> targets = whole_frame_ ? std::vector<Box>{{0, 0, in.width, in.height}} : boxes;
    for (const Box& b : targets) {
      int x0 = std::clamp(b.x, 0, in.width), y0 = std::clamp(b.y, 0, in.height);
      int x1 = std::clamp(b.x + b.w, 0, in.width), y1 = std::clamp(b.y + b.h, 0, in.height);
      if (x1 <= x0 || y1 <= y0) continue;
      torch::Tensor region = image.slice(0, y0, y1).slice(1, x0, x1);
      region.copy_(box_blur(region));
    }
    return result;
  }

  // Two separable box passes: each costs O(k) per pixel instead of O(k^2), and two of them
  // look like a Gaussian, not a grid.
  torch::Tensor box_blur(const torch::Tensor& region) {
    torch::Tensor x =
        region.permute({2, 0, 1}).unsqueeze(0).to(torch::Device(device_), torch::kFloat);
    int k = 2 * radius_ + 1;
    int pad_h = std::min(radius_, static_cast<int>(x.size(2)) / 2);
    int pad_w = std::min(radius_, static_cast<int>(x.size(3)) / 2);
    using torch::nn::functional::AvgPool2dFuncOptions;
    for (int pass = 0; pass < 2; ++pass) {
      x = torch::nn::functional::avg_pool2d(
          x, AvgPool2dFuncOptions({1, std::min<int64_t>(k, 2 * pad_w + 1)})
                 .stride(1)
                 .padding({0, pad_w})
                 .count_include_pad(false));
      x = torch::nn::functional::avg_pool2d(
          x, AvgPool2dFuncOptions({std::min<int64_t>(k, 2 * pad_h + 1), 1})
                 .stride(1)
                 .padding({pad_h, 0})
                 .count_include_pad(false));
    }
    return x.round().clamp(0, 255).to(torch::kCPU, torch::kUInt8).squeeze(0).permute({1, 2, 0});
  }

  int radius_;
  bool whole_frame_;
  std::string device_;
};

}  // namespace

void register_blur_op(OpRegistry& registry) {
  spec::OpSignature s;
  s.kind = "blur";
  s.summary = "blur the regions carried by each frame (or the whole frame)";
  s.accepts = {spec::ItemKind::frame};
  s.produces = spec::ItemKind::frame;
  s.params = {
      {"radius", spec::ParamType::integer, false, "blur radius in pixels (default 12)", {}},
      {"target", spec::ParamType::string, false, "boxes (default) or frame", {"boxes", "frame"}},
  };
  s.knobs = {device_knob(true), batch_knob()};
  registry.add(std::move(s), [](const OpContext& ctx) { return std::make_unique<BlurOp>(ctx); });
}

}  // namespace llama::ops
