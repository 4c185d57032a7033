// BlazeFace (MediaPipe's face detector, the TFJS graphs that @vladmandic/human ships):
// back camera 256x256 and front camera 128x128. Letterbox, run, decode the 896 anchors'
// boxes and 6 keypoints, NMS.
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "base/error.h"
#include "models/detector.h"
#include "models/tfjs/tfjs_model.h"

namespace llama::models {

namespace {

constexpr int kKeypoints = 6;  // right eye, left eye, nose, mouth, right ear, left ear
constexpr int kRegression = 4 + 2 * kKeypoints;
// Anchors (MediaPipe's SSD options for these graphs): a 16x16 grid with 2 per cell, then an
// 8x8 grid with 6 per cell, all of unit size; so only their centres matter.
constexpr int kFineGrid = 16, kFineAnchors = 2;
constexpr int kCoarseGrid = 8, kCoarseAnchors = 6;
constexpr int64_t kFineCount = kFineGrid * kFineGrid * kFineAnchors;          // 512
constexpr int64_t kCoarseCount = kCoarseGrid * kCoarseGrid * kCoarseAnchors;  // 384

// [count, 2] anchor centres (x, y) in input pixels, in the outputs' row order.
torch::Tensor anchors(int input_size, const torch::Device& device) {
  std::vector<float> xy;
  for (auto [grid, per_cell] : {std::pair{kFineGrid, kFineAnchors}, {kCoarseGrid, kCoarseAnchors}})
    for (int y = 0; y < grid; ++y)
      for (int x = 0; x < grid; ++x)
        for (int a = 0; a < per_cell; ++a) {
          xy.push_back((x + 0.5f) * input_size / grid);
          xy.push_back((y + 0.5f) * input_size / grid);
        }
  return torch::tensor(xy).view({-1, 2}).to(device);
}

// Where an image lies in the square input: source x = (input x - x) / sx, and so for y.
// (Per axis: the rounded size makes the two scales differ by a fraction of a pixel.)
struct Letterbox {
  float sx = 1, sy = 1, x = 0, y = 0;
};

class BlazefaceDetector : public Detector {
 public:
  BlazefaceDetector(const DetectorOptions& options, const torch::Device& device)
      : options_(options),
        device_(device),
        model_(options.model_json),
        name_(std::filesystem::path(options.model_json).stem().string()) {
    const std::string& file = options.model_json;
    const auto& shapes = model_.input_shapes();
    if (shapes.size() != 1 || shapes[0].size() != 4 || shapes[0][1] != shapes[0][2] ||
        shapes[0][3] != 3 || shapes[0][1] <= 0)
      throw Error(ExitCode::bad_spec,
                  file + ": not a blazeface graph (one square NHWC RGB input expected)");
    size_ = static_cast<int>(shapes[0][1]);
    if (options.input_size != 0 && options.input_size != size_)
      throw Error(ExitCode::bad_spec, file + ": input size " + std::to_string(options.input_size) +
                                          " not supported: this graph takes " +
                                          std::to_string(size_) + " (leave it unset)");
    for (const std::string& label : options.classes)
      if (label != "face")
        throw Error(ExitCode::bad_spec,
                    file + ": unknown class '" + label + "' (blazeface detects only face)");
    model_.to(device_);
    anchors_ = anchors(size_, device_);
  }

  std::vector<std::vector<Detection>> detect(const std::vector<ImageView>& images) override {
    if (images.empty()) return {};
    torch::InferenceMode guard;
    std::vector<Letterbox> boxes;
    torch::Tensor input = letterbox(images, boxes);
    std::vector<torch::Tensor> outputs = model_.run({input});
    // The fine grid's rows come first, as the anchors do.
    torch::Tensor logits =
        torch::cat({output(outputs, kFineCount, 1), output(outputs, kCoarseCount, 1)}, 1)
            .squeeze(2);
    torch::Tensor reg = torch::cat(
        {output(outputs, kFineCount, kRegression), output(outputs, kCoarseCount, kRegression)}, 1);
    // Clamped so that exp cannot overflow on a wild logit (as MediaPipe does).
    torch::Tensor scores = torch::sigmoid(logits.clamp(-100, 100));  // [N, 896]
    torch::Tensor mask = scores >= options_.min_score;
    torch::Tensor where = torch::nonzero(mask);  // [K, 2]: image, anchor
    torch::Tensor kept_anchors = anchors_.index_select(0, where.select(1, 1)).cpu();
    torch::Tensor kept_scores = scores.index({mask}).cpu();
    torch::Tensor kept_reg = reg.index({mask}).cpu();  // [K, 16]
    return select(images, boxes, where.cpu(), kept_scores, kept_reg, kept_anchors);
  }

  std::string model_name() const override { return name_; }

 private:
  // The images resized into the square input keeping their aspect, centred, the rest black
  // (as MediaPipe feeds it). Squashing instead would distort faces, and the network answers
  // with boxes of a face's usual shape, too wide once mapped back.
  torch::Tensor letterbox(const std::vector<ImageView>& images,
                          std::vector<Letterbox>& boxes) const {
    std::vector<torch::Tensor> inputs;
    for (const ImageView& image : images) {
      float scale = static_cast<float>(size_) / std::max({image.width, image.height, 1});
      int w = std::clamp(static_cast<int>(std::lround(image.width * scale)), 1, size_);
      int h = std::clamp(static_cast<int>(std::lround(image.height * scale)), 1, size_);
      int left = (size_ - w) / 2, top = (size_ - h) / 2;
      torch::Tensor x = resize_batch({image}, w, h, 1.0 / 127.5, -1.0, device_);
      // Black is -1 after the input's scale and offset. NHWC: pad W, then H.
      inputs.push_back(
          torch::constant_pad_nd(x, {0, 0, left, size_ - w - left, top, size_ - h - top}, -1.0));
      boxes.push_back({static_cast<float>(w) / image.width, static_cast<float>(h) / image.height,
                       static_cast<float>(left), static_cast<float>(top)});
    }
    return torch::cat(inputs, 0);
  }

  const torch::Tensor& output(const std::vector<torch::Tensor>& outputs, int64_t rows,
                              int64_t width) const {
    for (const torch::Tensor& t : outputs)
      if (t.dim() == 3 && t.size(1) == rows && t.size(2) == width) return t;
    throw Error(ExitCode::runtime, "model " + name_ + ": no output of shape [N, " +
                                       std::to_string(rows) + ", " + std::to_string(width) + "]");
  }

  // Regressions are offsets in input pixels: box centre from the anchor centre, box size,
  // then each keypoint from the anchor centre. Boxes and keypoints to source pixels, NMS.
  std::vector<std::vector<Detection>> select(const std::vector<ImageView>& images,
                                             const std::vector<Letterbox>& boxes,
                                             const torch::Tensor& where,
                                             const torch::Tensor& scores, const torch::Tensor& reg,
                                             const torch::Tensor& anchor) const {
    auto w = where.accessor<int64_t, 2>();
    auto sc = scores.accessor<float, 1>();
    auto r = reg.accessor<float, 2>();
    auto an = anchor.accessor<float, 2>();
    std::vector<std::vector<Detection>> candidates(images.size());
    for (int64_t k = 0; k < where.size(0); ++k) {
      const ImageView& image = images[w[k][0]];
      const Letterbox& lb = boxes[w[k][0]];
      auto to_x = [&](float x) { return (x - lb.x) / lb.sx; };
      auto to_y = [&](float y) { return (y - lb.y) / lb.sy; };
      float cx = an[k][0] + r[k][0], cy = an[k][1] + r[k][1];
      float width = static_cast<float>(image.width), height = static_cast<float>(image.height);
      float x1 = std::clamp(to_x(cx - r[k][2] / 2), 0.f, width);
      float y1 = std::clamp(to_y(cy - r[k][3] / 2), 0.f, height);
      float x2 = std::clamp(to_x(cx + r[k][2] / 2), 0.f, width);
      float y2 = std::clamp(to_y(cy + r[k][3] / 2), 0.f, height);
      Detection d;
      d.box = {x1, y1, x2 - x1, y2 - y1};
      d.label = "face";
      d.score = sc[k];
      for (int p = 0; p < kKeypoints; ++p)
        d.keypoints.push_back({to_x(an[k][0] + r[k][4 + 2 * p]), to_y(an[k][1] + r[k][5 + 2 * p])});
      candidates[w[k][0]].push_back(std::move(d));
    }
    for (std::vector<Detection>& c : candidates)
      c = keep_best(std::move(c), options_.iou, options_.max_detections);
    return candidates;
  }

  DetectorOptions options_;
  torch::Device device_;
  tfjs::TfjsModel model_;
  std::string name_;
  int size_ = 0;
  torch::Tensor anchors_;  // [896, 2] centres in input pixels
};

}  // namespace

namespace detail {
std::unique_ptr<Detector> make_blazeface_detector(const DetectorOptions& options,
                                                  const torch::Device& device) {
  return std::make_unique<BlazefaceDetector>(options, device);
}
}  // namespace detail

}  // namespace llama::models
