// blur: blurs what the item carries (a segment mask, else its boxes; or the whole frame) on
// a copy of the frame. The frame is wrapped as a tensor without a copy (torch::from_blob);
// only the result is new memory.
#include <torch/torch.h>

#include "base/error.h"
#include "ops/builtin.h"
#include "ops/torch_threads.h"

namespace llama::ops {

namespace {

class BlurOp : public Op {
 public:
  explicit BlurOp(const OpContext& ctx)
      : radius_(std::max(1, static_cast<int>(ctx.param_number("radius", 12)))),
        op_name_(ctx.spec->name),
        target_(ctx.param_string("target", "auto")),
        device_(ctx.config.count("device") ? ctx.config.at("device") : "cpu") {
    if (device_ == "cuda" && !torch::cuda::is_available())
      throw Error(ExitCode::runtime, "op '" + ctx.spec->name +
                                         "': device cuda was chosen but no CUDA device is visible "
                                         "(put cpu first in its device knob)");
  }

  void process(std::vector<Item>& batch, std::vector<Item>& out) override {
    // Blur has no threads knob, so it holds one core; torch would otherwise run it on
    // whatever thread count the worker last set (all cores), crowding the op beside it.
    use_torch_threads(1);
    torch::NoGradGuard no_grad;
    for (Item& item : batch) {
      bool use_mask = target_ == "mask" || (target_ == "auto" && item.mask);
      if (use_mask && !item.mask)
        throw Error(ExitCode::runtime, "op '" + op_name_ + "': target is mask, but frame " +
                                           std::to_string(item.frame_index) +
                                           " carries no mask (put a segment " +
                                           "op before it, or use target: boxes)");
      if (use_mask) {
        item.frame = blurred_by_mask(*item.frame, *item.mask);
      } else if (target_ == "frame") {
        item.frame = blurred(*item.frame, {{0, 0, item.frame->width, item.frame->height}});
      } else if (!item.boxes.empty()) {
        item.frame = blurred(*item.frame, item.boxes);
      }
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
    for (const Box& b : boxes) {
      int x0 = std::clamp(b.x, 0, in.width), y0 = std::clamp(b.y, 0, in.height);
      int x1 = std::clamp(b.x + b.w, 0, in.width), y1 = std::clamp(b.y + b.h, 0, in.height);
      if (x1 <= x0 || y1 <= y0) continue;
      torch::Tensor region = image.slice(0, y0, y1).slice(1, x0, x1);
      region.copy_(box_blur(region));
    }
    return result;
  }

  // The mask is a weight: 1 takes the blurred pixel, 0 keeps the original, and the soft
  // edge between them blends, so no hard outline shows around a person. Only the mask's
  // bounding box is blurred.
  std::shared_ptr<const video::Frame> blurred_by_mask(const video::Frame& in,
                                                      const std::vector<float>& mask) {
    if (mask.size() != static_cast<size_t>(in.width) * in.height)
      throw Error(ExitCode::internal, "op '" + op_name_ + "': mask of " +
                                          std::to_string(mask.size()) + " values for a " +
                                          std::to_string(in.width) + "x" +
                                          std::to_string(in.height) + " frame");
    torch::Tensor weight =
        torch::from_blob(const_cast<float*>(mask.data()), {in.height, in.width, 1}, torch::kFloat);
    torch::Tensor where = torch::nonzero(weight.squeeze(2) > 1.0f / 255);
    if (where.size(0) == 0) return std::make_shared<video::Frame>(in);
    int64_t y0 = where.select(1, 0).min().item<int64_t>();
    int64_t y1 = where.select(1, 0).max().item<int64_t>() + 1;
    int64_t x0 = where.select(1, 1).min().item<int64_t>();
    int64_t x1 = where.select(1, 1).max().item<int64_t>() + 1;
    auto result = std::make_shared<video::Frame>(in);
    torch::Tensor image =
        torch::from_blob(result->rgb.data(), {in.height, in.width, 3}, torch::kUInt8);
    torch::Tensor region = image.slice(0, y0, y1).slice(1, x0, x1);
    torch::Tensor w = weight.slice(0, y0, y1).slice(1, x0, x1);
    torch::Tensor mixed =
        region.to(torch::kFloat) * (1 - w) + box_blur(region).to(torch::kFloat) * w;
    region.copy_(mixed.round().clamp(0, 255).to(torch::kUInt8));
    return result;
  }

  // Two separable box passes look like a Gaussian, not a grid. Each pass is a difference of
  // running sums, so its cost does not grow with the radius (avg_pool2d's does: a
  // person-sized region at radius 12 took 230 ms a frame that way).
  torch::Tensor box_blur(const torch::Tensor& region) {
    torch::Tensor x = region.to(torch::Device(device_), torch::kFloat);  // [H, W, 3]
    for (int pass = 0; pass < 2; ++pass) x = box_mean(box_mean(x, 1), 0);
    return x.round().clamp(0, 255).to(torch::kCPU, torch::kUInt8);
  }

  // The mean over the 2r+1 pixels around each pixel along `dim`; the window is cut at the
  // region's edge and only the pixels inside count, so edges do not darken.
  torch::Tensor box_mean(const torch::Tensor& x, int64_t dim) const {
    int64_t n = x.size(dim);
    auto options = torch::TensorOptions().dtype(torch::kLong).device(x.device());
    torch::Tensor i = torch::arange(n, options);
    torch::Tensor hi = (i + radius_ + 1).clamp_max(n), lo = (i - radius_).clamp_min(0);
    // Running sums with a leading zero: sum of [lo, hi) = sums[hi] - sums[lo].
    std::vector<int64_t> zero_shape = x.sizes().vec();
    zero_shape[dim] = 1;
    torch::Tensor sums = torch::cat({torch::zeros(zero_shape, x.options()), x.cumsum(dim)}, dim);
    torch::Tensor total = sums.index_select(dim, hi) - sums.index_select(dim, lo);
    std::vector<int64_t> count_shape(x.dim(), 1);
    count_shape[dim] = n;
    return total / (hi - lo).to(x.scalar_type()).reshape(count_shape);
  }

  int radius_;
  std::string op_name_;
  std::string target_;
  std::string device_;
};

}  // namespace

void register_blur_op(OpRegistry& registry) {
  spec::OpSignature s;
  s.kind = "blur";
  s.summary = "blur what each frame carries: its segment mask, else its boxes (or the frame)";
  s.accepts = {spec::ItemKind::frame};
  s.produces = spec::ItemKind::frame;
  s.params = {
      {"radius", spec::ParamType::integer, false, "blur radius in pixels (default 12)", {}},
      {"target",
       spec::ParamType::string,
       false,
       "auto (default: the mask if the frame has one, else its boxes), boxes, mask or frame",
       {"auto", "boxes", "mask", "frame"}},
  };
  s.knobs = {device_knob(true), batch_knob()};
  s.parallel = true;  // no state from one batch to the next
  registry.add(std::move(s), [](const OpContext& ctx) { return std::make_unique<BlurOp>(ctx); });
}

}  // namespace llama::ops
