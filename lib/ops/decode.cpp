// decode: the source op. Reads the job's videos one after another and emits their frames,
// sampled by fps/stride and cut to start/end.
#include <memory>

#include "ops/builtin.h"
#include "video/video_reader.h"

namespace llama::ops {

namespace {

class DecodeOp : public Op {
 public:
  explicit DecodeOp(const OpContext& ctx) : videos_(ctx.videos) {
    // One core unless the threads knob says more: the planner counts it so.
    options_.threads = static_cast<int>(ctx.knob_number("threads", 1));
    options_.fps = ctx.knob_number("fps", ctx.param_number("fps", 0));
    options_.stride = static_cast<int>(ctx.param_number("stride", 1));
    options_.start_s = ctx.param_duration_s("start", 0);
    options_.end_s = ctx.param_duration_s("end", -1);
  }

  bool produce(size_t max_items, std::vector<Item>& out) override {
    while (max_items > 0) {
      if (!reader_) {
        if (next_video_ >= videos_.size()) return false;
        reader_ = std::make_unique<video::VideoReader>(videos_[next_video_], options_);
        health_.push_back({videos_[next_video_], 0, false, ""});
        ++next_video_;
      }
      std::optional<video::Frame> frame = reader_->next();
      if (!frame) {
        InputHealth& h = health_.back();
        h.frames_decoded = reader_->frames_decoded();
        h.truncated = reader_->truncated();
        h.reason = reader_->truncation_reason();
        reader_.reset();
        continue;
      }
      Item item;
      item.kind = spec::ItemKind::frame;
      item.video = static_cast<int>(next_video_ - 1);
      item.frame_index = frame->index;
      item.timestamp_s = frame->timestamp_s;
      item.frame = std::make_shared<const video::Frame>(std::move(*frame));
      out.push_back(std::move(item));
      ++emitted_;
      --max_items;
    }
    return true;
  }

  void process(std::vector<Item>&, std::vector<Item>&) override {}

  void finish(std::vector<Item>&) override {
    if (reader_) {  // stopped early: record how far this video got
      health_.back().frames_decoded = reader_->frames_decoded();
      reader_.reset();
    }
  }

  // Where the stream is: the video being read (or next to open) and the reader's position.
  nlohmann::json checkpoint() override {
    nlohmann::json health = nlohmann::json::array();
    for (const InputHealth& h : health_)
      health.push_back({{"path", h.path},
                        {"frames_decoded", h.frames_decoded},
                        {"truncated", h.truncated},
                        {"reason", h.reason}});
    nlohmann::json state = {{"next_video", next_video_}, {"emitted", emitted_}, {"health", health}};
    if (reader_) {
      video::ReadPosition p = reader_->position();
      state["position"] = {{"last_index", p.last_index},
                           {"last_s", p.last_s},
                           {"decoded", p.decoded},
                           {"have_first_kept", p.have_first_kept},
                           {"first_kept_s", p.first_kept_s},
                           {"next_tick", p.next_tick},
                           {"fps_survivors", p.fps_survivors}};
    }
    return state;
  }

  void resume(const nlohmann::json& state) override {
    next_video_ = state.at("next_video").get<size_t>();
    emitted_ = state.at("emitted").get<int64_t>();
    for (const auto& h : state.at("health"))
      health_.push_back({h.at("path").get<std::string>(), h.at("frames_decoded").get<int64_t>(),
                         h.at("truncated").get<bool>(), h.at("reason").get<std::string>()});
    if (!state.contains("position")) return;
    const nlohmann::json& p = state["position"];
    video::ReadOptions options = options_;
    options.resume.last_index = p.at("last_index");
    options.resume.last_s = p.at("last_s");
    options.resume.decoded = p.at("decoded");
    options.resume.have_first_kept = p.at("have_first_kept");
    options.resume.first_kept_s = p.at("first_kept_s");
    options.resume.next_tick = p.at("next_tick");
    options.resume.fps_survivors = p.at("fps_survivors");
    // The video being read was opened (next_video_ counts it) and has its health entry.
    reader_ = std::make_unique<video::VideoReader>(videos_.at(next_video_ - 1), options);
  }

  nlohmann::json summary() const override { return {{"frames_emitted", emitted_}}; }
  std::vector<InputHealth> inputs_read() const override { return health_; }

 private:
  std::vector<std::string> videos_;
  video::ReadOptions options_;
  std::unique_ptr<video::VideoReader> reader_;
  size_t next_video_ = 0;
  int64_t emitted_ = 0;
  std::vector<InputHealth> health_;
};

}  // namespace

void register_decode_op(OpRegistry& registry) {
  spec::OpSignature s;
  s.kind = "decode";
  s.summary = "decode the input videos into RGB frames";
  s.produces = spec::ItemKind::frame;
  s.params = {
      {"fps", spec::ParamType::number, false, "keep at most this many frames per second", {}},
      {"stride", spec::ParamType::integer, false, "keep every n-th frame", {}},
      {"start", spec::ParamType::duration, false, "skip frames before this time, e.g. 10s", {}},
      {"end", spec::ParamType::duration, false, "stop at this time, e.g. 1m", {}},
  };
  s.knobs = {device_knob(false), threads_knob(), batch_knob(), {"fps", {}, 0.01, 1000, false}};
  registry.add(std::move(s), [](const OpContext& ctx) { return std::make_unique<DecodeOp>(ctx); });
}

}  // namespace llama::ops
