// detect and detect_frames: run an object or face detector on batches of frames. detect fans
// out one detection item per object found (so `when: label == "person"` can branch on it);
// detect_frames passes every frame on with its detections as boxes (for blurring them).
#include <memory>

#include "models/detector.h"
#include "ops/builtin.h"
#include "ops/torch_threads.h"

namespace llama::ops {

namespace {

class DetectOp : public Op {
 public:
  DetectOp(const OpContext& ctx, bool emit_frames)
      : emit_frames_(emit_frames), threads_(static_cast<int>(ctx.knob_number("threads", 0))) {
    models::DetectorOptions options;
    options.model_json = ctx.model_path("model");
    options.device = ctx.knob_string("device", "cpu");
    options.min_score = static_cast<float>(ctx.param_number("min_score", options.min_score));
    options.iou = static_cast<float>(ctx.param_number("iou", options.iou));
    options.max_detections = static_cast<int>(ctx.param_number("max", options.max_detections));
    options.input_size = static_cast<int>(ctx.knob_number("input_size", 0));
    auto it = ctx.spec->params.find("classes");
    if (it != ctx.spec->params.end())
      for (const auto& c : it->second.value) options.classes.push_back(c.get<std::string>());
    detector_ = models::make_detector(options);
  }

  void process(std::vector<Item>& batch, std::vector<Item>& out) override {
    use_torch_threads(threads_);
    std::vector<models::ImageView> images;
    for (const Item& item : batch)
      images.push_back({item.frame->rgb.data(), item.frame->width, item.frame->height});
    std::vector<std::vector<models::Detection>> found = detector_->detect(images);
    for (size_t i = 0; i < batch.size(); ++i) {
      if (emit_frames_) {
        Item frame = std::move(batch[i]);
        frame.boxes.clear();
        for (const auto& d : found[i]) frame.boxes.push_back(to_box(d.box));
        frame.fields["detections"] = static_cast<int64_t>(found[i].size());
        out.push_back(std::move(frame));
        continue;
      }
      for (const models::Detection& d : found[i]) {
        Item item;
        item.kind = spec::ItemKind::detection;
        item.video = batch[i].video;
        item.frame_index = batch[i].frame_index;
        item.timestamp_s = batch[i].timestamp_s;
        item.frame = batch[i].frame;
        item.boxes = {to_box(d.box)};
        item.fields = {{"label", d.label},     {"score", d.score},     {"class_id", d.class_id},
                       {"x", item.boxes[0].x}, {"y", item.boxes[0].y}, {"w", item.boxes[0].w},
                       {"h", item.boxes[0].h}};
        if (!d.keypoints.empty()) item.fields["keypoints"] = d.keypoints;
        out.push_back(std::move(item));
      }
    }
  }

  nlohmann::json summary() const override { return {{"model", detector_->model_name()}}; }

  void set_threads(int threads) override { threads_ = threads; }

 private:
  static Box to_box(const models::Rect& r) {
    return {static_cast<int>(std::lround(r.x)), static_cast<int>(std::lround(r.y)),
            static_cast<int>(std::lround(r.w)), static_cast<int>(std::lround(r.h))};
  }

  bool emit_frames_;
  int threads_;
  std::unique_ptr<models::Detector> detector_;
};

}  // namespace

void register_detect_op(OpRegistry& registry) {
  spec::OpSignature s;
  s.kind = "detect";
  s.summary = "find objects (nanodet, COCO) or faces (blazeface); one item per detection";
  s.accepts = {spec::ItemKind::frame};
  s.produces = spec::ItemKind::detection;
  s.fields = {"label", "score", "class_id", "x", "y", "w", "h"};
  s.params = {
      {"model", spec::ParamType::model, true, "a model from models:, e.g. model: nanodet", {}},
      {"classes", spec::ParamType::list, false, "keep only these labels, e.g. [person, car]", {}},
      {"min_score", spec::ParamType::number, false, "lowest score kept (default 0.3)", {}},
      {"iou",
       spec::ParamType::number,
       false,
       "overlap above which NMS drops a box (default 0.45)",
       {}},
      {"max", spec::ParamType::integer, false, "most detections per frame (default 100)", {}},
  };
  s.knobs = {device_knob(true), threads_knob(), batch_knob(), {"input_size", {}, 64, 1024, true}};
  s.parallel = true;  // no state from one batch to the next

  spec::OpSignature frames = s;
  frames.kind = "detect_frames";
  frames.summary = "find objects or faces; every frame passes on with its detections as boxes";
  frames.produces = spec::ItemKind::frame;
  frames.fields = {"detections"};

  registry.add(std::move(s),
               [](const OpContext& ctx) { return std::make_unique<DetectOp>(ctx, false); });
  registry.add(std::move(frames),
               [](const OpContext& ctx) { return std::make_unique<DetectOp>(ctx, true); });
}

}  // namespace llama::ops
