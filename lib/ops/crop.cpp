// crop: cuts each detection's box (grown by a margin) out of its frame into a small image
// of its own, so that later ops work on the object alone.
#include <algorithm>
#include <cmath>

#include "ops/builtin.h"

namespace llama::ops {

namespace {

class CropOp : public Op {
 public:
  explicit CropOp(const OpContext& ctx) : margin_(ctx.param_number("margin", 0.1)) {}

  void process(std::vector<Item>& batch, std::vector<Item>& out) override {
    for (Item& item : batch) {
      for (const Box& b : item.boxes) {
        const video::Frame& f = *item.frame;
        int mx = static_cast<int>(std::lround(b.w * margin_)),
            my = static_cast<int>(std::lround(b.h * margin_));
        int x0 = std::clamp(b.x - mx, 0, f.width), y0 = std::clamp(b.y - my, 0, f.height);
        int x1 = std::clamp(b.x + b.w + mx, 0, f.width),
            y1 = std::clamp(b.y + b.h + my, 0, f.height);
        if (x1 <= x0 || y1 <= y0) continue;  // a box outside the frame has nothing to crop
        auto crop = std::make_shared<video::Frame>();
        crop->width = x1 - x0;
        crop->height = y1 - y0;
        crop->index = f.index;
        crop->timestamp_s = f.timestamp_s;
        crop->rgb.resize(static_cast<size_t>(crop->width) * crop->height * 3);
        for (int y = y0; y < y1; ++y)
          std::copy_n(f.rgb.data() + (static_cast<size_t>(y) * f.width + x0) * 3, crop->width * 3,
                      crop->rgb.data() + static_cast<size_t>(y - y0) * crop->width * 3);
        Item c = item;
        c.kind = spec::ItemKind::crop;
        c.frame = std::move(crop);
        c.boxes = {{0, 0, x1 - x0, y1 - y0}};
        c.fields["crop"] = {x0, y0, x1 - x0, y1 - y0};  // where it came from, in frame pixels
        out.push_back(std::move(c));
      }
    }
  }

 private:
  double margin_;
};

}  // namespace

void register_crop_op(OpRegistry& registry) {
  spec::OpSignature s;
  s.kind = "crop";
  s.summary = "cut each detection out of its frame (one crop item per box)";
  s.accepts = {spec::ItemKind::detection, spec::ItemKind::frame};
  s.produces = spec::ItemKind::crop;
  s.fields = {"label", "score", "class_id", "x", "y", "w", "h", "track_id"};
  s.params = {{"margin",
               spec::ParamType::number,
               false,
               "grow each box by this share per side (default 0.1)",
               {}}};
  s.knobs = {device_knob(false), batch_knob()};
  s.parallel = true;  // no state from one batch to the next
  registry.add(std::move(s), [](const OpContext& ctx) { return std::make_unique<CropOp>(ctx); });
}

}  // namespace llama::ops
