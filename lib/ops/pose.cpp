// pose: body keypoints (movenet, 17 COCO points) for each person detection, crop or whole
// frame. Movenet sees one person, so a frame full of people wants detect -> pose.
#include <memory>

#include "models/pose_estimator.h"
#include "ops/builtin.h"
#include "ops/torch_threads.h"

namespace llama::ops {

namespace {

class PoseOp : public Op {
 public:
  explicit PoseOp(const OpContext& ctx)
      : estimator_(ctx.model_path("model"), ctx.knob_string("device", "cpu")),
        threads_(static_cast<int>(ctx.knob_number("threads", 0))),
        margin_(ctx.param_number("margin", 0.1)) {}

  void process(std::vector<Item>& batch, std::vector<Item>& out) override {
    use_torch_threads(threads_);
    std::vector<models::ImageView> images;
    std::vector<models::Rect> regions;
    for (const Item& item : batch) {
      const video::Frame& f = *item.frame;
      images.push_back({f.rgb.data(), f.width, f.height});
      regions.push_back(region_of(item, f));
    }
    std::vector<std::vector<models::Keypoint>> poses = estimator_.estimate(images, regions);
    for (size_t i = 0; i < batch.size(); ++i) {
      Item item = std::move(batch[i]);
      if (item.kind == spec::ItemKind::frame) {  // the whole frame is the person
        item.kind = spec::ItemKind::detection;
        item.boxes = {{0, 0, item.frame->width, item.frame->height}};
      }
      nlohmann::json keypoints = nlohmann::json::array();
      double score_sum = 0;
      for (const models::Keypoint& k : poses[i]) {
        keypoints.push_back({{"name", k.name}, {"x", k.x}, {"y", k.y}, {"score", k.score}});
        score_sum += k.score;
      }
      item.fields["keypoints"] = std::move(keypoints);
      item.fields["pose_score"] = poses[i].empty() ? 0.0 : score_sum / poses[i].size();
      out.push_back(std::move(item));
    }
  }

  void set_threads(int threads) override { threads_ = threads; }

 private:
  // A detector's box is tight; movenet was trained on people with some room around them.
  models::Rect region_of(const Item& item, const video::Frame& f) const {
    if (item.kind == spec::ItemKind::frame || item.boxes.empty())
      return {0, 0, static_cast<float>(f.width), static_cast<float>(f.height)};
    const Box& b = item.boxes.front();
    float mx = static_cast<float>(b.w * margin_), my = static_cast<float>(b.h * margin_);
    return {b.x - mx, b.y - my, b.w + 2 * mx, b.h + 2 * my};
  }

  models::PoseEstimator estimator_;
  int threads_;
  double margin_;
};

}  // namespace

void register_pose_op(OpRegistry& registry) {
  spec::OpSignature s;
  s.kind = "pose";
  s.summary = "17 body keypoints (movenet) per person detection, crop or frame";
  s.accepts = {spec::ItemKind::detection, spec::ItemKind::crop, spec::ItemKind::frame};
  s.produces = spec::ItemKind::detection;
  s.fields = {"label", "score", "class_id", "x", "y", "w", "h", "track_id", "pose_score"};
  s.params = {
      {"model", spec::ParamType::model, true, "a pose model from models:, e.g. movenet", {}},
      {"margin",
       spec::ParamType::number,
       false,
       "grow each person box by this share per side before looking (default 0.1)",
       {}},
  };
  s.knobs = {device_knob(true), threads_knob(), batch_knob()};
  s.parallel = true;  // no state from one batch to the next
  registry.add(std::move(s), [](const OpContext& ctx) { return std::make_unique<PoseOp>(ctx); });
}

}  // namespace llama::ops
