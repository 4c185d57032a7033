// NanoDet (COCO objects, the TFJS graph that @vladmandic/human ships): resize to 416x416,
// run, decode the three strides' class scores and box distributions, NMS per class.
#include <algorithm>
#include <filesystem>

#include "base/error.h"
#include "models/detector.h"
#include "models/tfjs/tfjs_model.h"

namespace llama::models {

namespace {

// The graph's input size is fixed: its upsampling sizes and output reshapes are constants
// computed for 416 (ResizeBilinear to 26x26/52x52, 169/676/2704 cells).
constexpr int kInputSize = 416;
constexpr int kClasses = 80;
constexpr int kBins = 11;                // distance distribution per box side: 0..10 strides
constexpr int kStrides[] = {8, 16, 32};  // 52x52, 26x26, 13x13 cells

class NanodetDetector : public Detector {
 public:
  NanodetDetector(const DetectorOptions& options, const torch::Device& device)
      : options_(options),
        device_(device),
        model_(options.model_json),
        name_(std::filesystem::path(options.model_json).stem().string()) {
    const std::string& file = options.model_json;
    if (options.input_size != 0 && options.input_size != kInputSize)
      throw Error(ExitCode::bad_spec, file + ": input size " + std::to_string(options.input_size) +
                                          " not supported: this nanodet graph has its sizes "
                                          "fixed for 416 (use 416 or leave it unset)");
    const auto& shapes = model_.input_shapes();
    if (shapes.size() != 1 || shapes[0] != std::vector<int64_t>{1, 3, kInputSize, kInputSize})
      throw Error(ExitCode::bad_spec,
                  file + ": not the nanodet graph expected (one input 1x3x416x416)");
    model_.to(device_);
    std::vector<float> keep(kClasses, options.classes.empty() ? 1.f : 0.f);
    for (const std::string& label : options.classes) {
      auto it = std::find(coco_labels().begin(), coco_labels().end(), label);
      if (it == coco_labels().end())
        throw Error(ExitCode::bad_spec, file + ": unknown class '" + label +
                                            "' (nanodet knows the 80 COCO labels, e.g. person, "
                                            "car, bicycle)");
      keep[it - coco_labels().begin()] = 1.f;
    }
    auto on_device = torch::TensorOptions().dtype(torch::kFloat).device(device_);
    class_keep_ = torch::tensor(keep).to(device_);
    bins_ = torch::arange(kBins, on_device);
    for (int stride : kStrides) {
      // Cell centres in input pixels, row-major like the outputs' cells (human's nanodet.ts).
      int64_t grid = kInputSize / stride;
      torch::Tensor c = (torch::arange(grid, on_device) + 0.5) * stride;
      auto yx = torch::meshgrid({c, c}, "ij");
      centres_.push_back(torch::stack({yx[1].flatten(), yx[0].flatten()}, 1));  // [cells, 2]
    }
  }

  std::vector<std::vector<Detection>> detect(const std::vector<ImageView>& images) override {
    if (images.empty()) return {};
    torch::InferenceMode guard;
    torch::Tensor input =
        resize_batch(images, kInputSize, kInputSize, 1.0 / 255, 0, device_).permute({0, 3, 1, 2});
    std::vector<torch::Tensor> outputs = model_.run({input.contiguous()});
    auto [boxes, scores] = decode(outputs, static_cast<int64_t>(images.size()));
    return select(images, boxes, scores);
  }

  std::string model_name() const override { return name_; }

 private:
  // The output of `cells` rows whose last dimension is `width`; found by shape, since the
  // graph's output order is not the stride order.
  const torch::Tensor& output(const std::vector<torch::Tensor>& outputs, int64_t cells,
                              int64_t width) const {
    for (const torch::Tensor& t : outputs)
      if (t.dim() == 3 && t.size(1) == cells && t.size(2) == width) return t;
    throw Error(ExitCode::runtime, "model " + name_ + ": no output of shape [N, " +
                                       std::to_string(cells) + ", " + std::to_string(width) + "]");
  }

  // All cells of all strides: boxes [N, cells, 4] as x1, y1, x2, y2 in input pixels and class
  // scores [N, cells, 80] (the graph applies the sigmoid), classes not asked for zeroed.
  std::pair<torch::Tensor, torch::Tensor> decode(const std::vector<torch::Tensor>& outputs,
                                                 int64_t n) const {
    std::vector<torch::Tensor> boxes, scores;
    for (size_t s = 0; s < std::size(kStrides); ++s) {
      int64_t cells = centres_[s].size(0);
      torch::Tensor dist = output(outputs, cells, 4 * kBins).reshape({n, cells, 4, kBins});
      // Generalized focal loss regression: each side's distance is the expectation of its
      // distribution over 0..10, in strides. Sides are left, top, right, bottom.
      dist = torch::softmax(dist, -1).matmul(bins_) * kStrides[s];
      torch::Tensor lt = centres_[s] - dist.slice(2, 0, 2);
      torch::Tensor rb = centres_[s] + dist.slice(2, 2, 4);
      boxes.push_back(torch::cat({lt, rb}, 2).clamp(0, kInputSize));
      scores.push_back(output(outputs, cells, kClasses) * class_keep_);
    }
    return {torch::cat(boxes, 1), torch::cat(scores, 1)};
  }

  // Candidates over min_score, per image, to source pixels, then NMS per class.
  std::vector<std::vector<Detection>> select(const std::vector<ImageView>& images,
                                             const torch::Tensor& boxes,
                                             const torch::Tensor& scores) const {
    torch::Tensor mask = scores >= options_.min_score;
    torch::Tensor where = torch::nonzero(mask);  // [K, 3]: image, cell, class
    torch::Tensor kept_scores = scores.index({mask}).cpu();
    torch::Tensor kept_boxes =
        boxes.index({where.select(1, 0), where.select(1, 1)}).cpu();  // [K, 4]
    where = where.cpu();
    auto w = where.accessor<int64_t, 2>();
    auto sc = kept_scores.accessor<float, 1>();
    auto bx = kept_boxes.accessor<float, 2>();
    std::vector<std::vector<Detection>> candidates(images.size());
    for (int64_t k = 0; k < where.size(0); ++k) {
      const ImageView& image = images[w[k][0]];
      float sx = static_cast<float>(image.width) / kInputSize;
      float sy = static_cast<float>(image.height) / kInputSize;
      Detection d;
      d.box = {bx[k][0] * sx, bx[k][1] * sy, (bx[k][2] - bx[k][0]) * sx,
               (bx[k][3] - bx[k][1]) * sy};
      d.class_id = static_cast<int>(w[k][2]);
      d.label = coco_labels()[d.class_id];
      d.score = sc[k];
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
  torch::Tensor class_keep_;            // [80]: 1 for the classes asked for, else 0
  torch::Tensor bins_;                  // 0..10, for the distributions' expectations
  std::vector<torch::Tensor> centres_;  // per stride: [cells, 2] cell centres (x, y)
};

}  // namespace

namespace detail {
std::unique_ptr<Detector> make_nanodet_detector(const DetectorOptions& options,
                                                const torch::Device& device) {
  return std::make_unique<NanodetDetector>(options, device);
}
}  // namespace detail

}  // namespace llama::models
