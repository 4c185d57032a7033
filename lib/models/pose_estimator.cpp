// PoseEstimator: movenet-lightning on whole images or regions, keypoints mapped back to
// source pixels.
#include "models/pose_estimator.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "models/device.h"
#include "models/tfjs/tfjs_model.h"

namespace llama::models {

namespace {

constexpr int kInputSize = 192;  // movenet-lightning's input is [1, 192, 192, 3] int32
constexpr int kKeypoints = 17;

const std::array<const char*, kKeypoints> kNames = {
    "nose",           "left_eye",   "right_eye",   "left_ear",   "right_ear",   "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
    "right_hip",      "left_knee",  "right_knee",  "left_ankle", "right_ankle"};

// The whole pixels a region covers, clamped to the image, as crop_resize_batch crops them;
// computed here too because the keypoints must be mapped back through exactly the
// rectangle the network saw. Empty when the region lies outside the image.
Rect snap_to_pixels(const Rect& r, const ImageView& image) {
  float x0 = std::clamp(std::floor(r.x), 0.0f, float(image.width));
  float y0 = std::clamp(std::floor(r.y), 0.0f, float(image.height));
  float x1 = std::clamp(std::ceil(r.x + r.w), 0.0f, float(image.width));
  float y1 = std::clamp(std::ceil(r.y + r.h), 0.0f, float(image.height));
  return {x0, y0, std::max(0.0f, x1 - x0), std::max(0.0f, y1 - y0)};
}

}  // namespace

struct PoseEstimator::State {
  tfjs::TfjsModel model;
  torch::Device device;
};

PoseEstimator::PoseEstimator(const std::string& model_json, const std::string& device) {
  tfjs::TfjsModel model(model_json);
  torch::Device dev = parse_device(device, model_json);
  model.to(dev);
  state_ = std::make_unique<State>(State{std::move(model), dev});
}

PoseEstimator::~PoseEstimator() = default;

std::vector<std::vector<Keypoint>> PoseEstimator::estimate(const std::vector<ImageView>& images,
                                                           const std::vector<Rect>& regions) {
  if (!regions.empty() && images.size() != regions.size() && images.size() != 1)
    throw Error(ExitCode::internal, "PoseEstimator::estimate: " + std::to_string(images.size()) +
                                        " images for " + std::to_string(regions.size()) +
                                        " regions (want one each, or one image)");
  size_t n = regions.empty() ? images.size() : regions.size();
  std::vector<std::vector<Keypoint>> poses;
  poses.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const ImageView& image = images.size() == 1 ? images[0] : images[i];
    Rect box = regions.empty() ? Rect{0, 0, float(image.width), float(image.height)}
                               : snap_to_pixels(regions[i], image);
    std::vector<Keypoint> pose(kKeypoints);
    for (int k = 0; k < kKeypoints; ++k)
      pose[k] = {kNames[k], box.x + box.w / 2, box.y + box.h / 2, 0};
    if (box.w < 1 || box.h < 1) {  // nothing to look at: keep the names, score 0
      poses.push_back(std::move(pose));
      continue;
    }
    // One run per pose: movenet's graph writes batch 1 into its post-processing (the
    // heatmap ArgMax and GatherNd indices), so a batch of N does not give N poses.
    torch::Tensor input =
        crop_resize_batch({image}, {box}, kInputSize, kInputSize, 1.0, 0.0, state_->device);
    // The reference feeds the raw pixels as int32 (the network rescales inside); round
    // the bilinear result rather than truncate it.
    input = input.round().to(torch::kInt32);
    torch::Tensor out =
        state_->model.run({input}).at(0).to(torch::kCPU, torch::kFloat).reshape({kKeypoints, 3});
    auto a = out.accessor<float, 2>();
    for (int k = 0; k < kKeypoints; ++k) {
      // Output rows are (y, x, score), normalised to the network's input, i.e. the box.
      pose[k].x = box.x + a[k][1] * box.w;
      pose[k].y = box.y + a[k][0] * box.h;
      pose[k].score = a[k][2];
    }
    poses.push_back(std::move(pose));
  }
  return poses;
}

}  // namespace llama::models
