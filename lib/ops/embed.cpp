// embed: a face embedding (mobilefacenet) for each crop or detection, batched.
#include <memory>

#include "models/face_embedder.h"
#include "ops/builtin.h"
#include "ops/torch_threads.h"

namespace llama::ops {

namespace {

class EmbedOp : public Op {
 public:
  explicit EmbedOp(const OpContext& ctx)
      : embedder_(ctx.model_path("model"), ctx.knob_string("device", "cpu")),
        threads_(static_cast<int>(ctx.knob_number("threads", 0))) {}

  void process(std::vector<Item>& batch, std::vector<Item>& out) override {
    use_torch_threads(threads_);
    std::vector<models::ImageView> images;
    std::vector<models::Rect> faces;
    for (const Item& item : batch) {
      const video::Frame& f = *item.frame;
      images.push_back({f.rgb.data(), f.width, f.height});
      // A crop is the face itself; a detection points at the face in its frame.
      Box b = item.boxes.empty() ? Box{0, 0, f.width, f.height} : item.boxes.front();
      faces.push_back({static_cast<float>(b.x), static_cast<float>(b.y), static_cast<float>(b.w),
                       static_cast<float>(b.h)});
    }
    std::vector<std::vector<float>> embeddings = embedder_.embed(images, faces);
    for (size_t i = 0; i < batch.size(); ++i) {
      Item item = std::move(batch[i]);
      item.kind = spec::ItemKind::embedding;
      item.embedding = std::move(embeddings[i]);
      out.push_back(std::move(item));
    }
  }

  void set_threads(int threads) override { threads_ = threads; }

 private:
  models::FaceEmbedder embedder_;
  int threads_;
};

}  // namespace

void register_embed_op(OpRegistry& registry) {
  spec::OpSignature s;
  s.kind = "embed";
  s.summary = "face embedding (mobilefacenet, 192-d) of each crop or detection";
  s.accepts = {spec::ItemKind::crop, spec::ItemKind::detection};
  s.produces = spec::ItemKind::embedding;
  s.fields = {"label", "score", "class_id", "x", "y", "w", "h", "track_id"};
  s.params = {{"model", spec::ParamType::model, true, "a face embedding model from models:", {}}};
  s.knobs = {device_knob(true), threads_knob(), batch_knob()};
  s.parallel = true;  // no state from one batch to the next
  registry.add(std::move(s), [](const OpContext& ctx) { return std::make_unique<EmbedOp>(ctx); });
}

}  // namespace llama::ops
