// segment: a person mask for each frame (selfie model), carried on the frame so that blur
// can blur the people and nothing else.
#include <memory>

#include "models/segmenter.h"
#include "ops/builtin.h"
#include "ops/torch_threads.h"

namespace llama::ops {

namespace {

class SegmentOp : public Op {
 public:
  explicit SegmentOp(const OpContext& ctx)
      : segmenter_(ctx.model_path("model"), ctx.knob_string("device", "cpu")),
        threads_(static_cast<int>(ctx.knob_number("threads", 0))),
        threshold_(static_cast<float>(ctx.param_number("threshold", 0.5))) {}

  void process(std::vector<Item>& batch, std::vector<Item>& out) override {
    use_torch_threads(threads_);
    std::vector<models::ImageView> images;
    for (const Item& item : batch)
      images.push_back({item.frame->rgb.data(), item.frame->width, item.frame->height});
    std::vector<models::Mask> masks = segmenter_.segment(images);
    for (size_t i = 0; i < batch.size(); ++i) {
      Item item = std::move(batch[i]);
      size_t covered = 0;
      for (float v : masks[i].values) covered += v >= threshold_;
      double share = masks[i].values.empty() ? 0.0 : double(covered) / masks[i].values.size();
      item.fields["person_share"] = share;
      item.mask = std::make_shared<const std::vector<float>>(std::move(masks[i].values));
      out.push_back(std::move(item));
    }
  }

  void set_threads(int threads) override { threads_ = threads; }

 private:
  models::Segmenter segmenter_;
  int threads_;
  float threshold_;
};

}  // namespace

void register_segment_op(OpRegistry& registry) {
  spec::OpSignature s;
  s.kind = "segment";
  s.summary = "person mask per frame (selfie model), for blur; person_share = masked fraction";
  s.accepts = {spec::ItemKind::frame};
  s.produces = spec::ItemKind::frame;
  s.fields = {"person_share"};
  s.params = {
      {"model", spec::ParamType::model, true, "a segmentation model from models:", {}},
      {"threshold",
       spec::ParamType::number,
       false,
       "mask value counted as person in person_share (default 0.5)",
       {}},
  };
  s.knobs = {device_knob(true), threads_knob(), batch_knob()};
  s.parallel = true;  // no state from one batch to the next
  registry.add(std::move(s), [](const OpContext& ctx) { return std::make_unique<SegmentOp>(ctx); });
}

}  // namespace llama::ops
