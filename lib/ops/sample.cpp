// sample: thins a frame stream by time (fps) or by count (stride), per video.
#include <cmath>

#include "ops/builtin.h"

namespace llama::ops {

namespace {

class SampleOp : public Op {
 public:
  explicit SampleOp(const OpContext& ctx)
      : fps_(ctx.param_number("fps", 0)),
        stride_(static_cast<int64_t>(ctx.param_number("stride", 1))) {}

  void process(std::vector<Item>& batch, std::vector<Item>& out) override {
    for (Item& item : batch) {
      if (item.video != video_) {
        video_ = item.video;
        seen_ = 0;
        next_tick_s_ = -1;
      }
      bool keep = (seen_++ % std::max<int64_t>(stride_, 1)) == 0;
      if (keep && fps_ > 0) {
        // A small tolerance keeps 10 fps sources at exactly 5 fps when asked for 5.
        if (next_tick_s_ >= 0 && item.timestamp_s < next_tick_s_ - 1e-6) keep = false;
        if (keep) {
          double period = 1.0 / fps_;
          next_tick_s_ = next_tick_s_ < 0 ? item.timestamp_s + period : next_tick_s_ + period;
          if (next_tick_s_ <= item.timestamp_s) next_tick_s_ = item.timestamp_s + period;
        }
      }
      if (keep) out.push_back(std::move(item));
    }
  }

  nlohmann::json checkpoint() override {
    return {{"video", video_}, {"seen", seen_}, {"next_tick_s", next_tick_s_}};
  }

  void resume(const nlohmann::json& state) override {
    video_ = state.at("video");
    seen_ = state.at("seen");
    next_tick_s_ = state.at("next_tick_s");
  }

 private:
  double fps_;
  int64_t stride_;
  int video_ = -1;
  int64_t seen_ = 0;
  double next_tick_s_ = -1;
};

}  // namespace

void register_sample_op(OpRegistry& registry) {
  spec::OpSignature s;
  s.kind = "sample";
  s.summary = "keep frames at a rate (fps) or every n-th (stride)";
  s.accepts = {spec::ItemKind::frame};
  s.produces = spec::ItemKind::frame;
  s.params = {
      {"fps", spec::ParamType::number, false, "keep at most this many frames per second", {}},
      {"stride", spec::ParamType::integer, false, "keep every n-th frame", {}},
  };
  s.knobs = {device_knob(false), batch_knob()};
  registry.add(std::move(s), [](const OpContext& ctx) { return std::make_unique<SampleOp>(ctx); });
}

}  // namespace llama::ops
