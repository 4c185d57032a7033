// encode: writes the frames it receives to an mp4 per video, keeping their timestamps.
#include <filesystem>
#include <fstream>
#include <memory>

#include "base/error.h"

#include "ops/builtin.h"
#include "ops/output_file.h"
#include "video/video_concat.h"
#include "video/video_writer.h"

namespace llama::ops {

namespace {

class EncodeOp : public Op {
 public:
  explicit EncodeOp(const OpContext& ctx) : ctx_(ctx) {
    options_.codec = ctx.param_string("codec", "h264");
    options_.crf = static_cast<int>(ctx.param_number("crf", 23));
    // The planner counts an op without a threads knob as one core; x264 left to choose would
    // run a thread per core behind each call, returning fast while the pool pays unseen.
    options_.threads = static_cast<int>(ctx.knob_number("threads", 1));
  }

  void process(std::vector<Item>& batch, std::vector<Item>&) override {
    in_user_terms([&] {
      for (const Item& item : batch) {
        if (item.timestamp_s < ctx_.warmup_until_s) continue;
        if (item.video != video_) close();
        if (!writer_) open_part(item);
        writer_->write(*item.frame);
        ++frames_;
      }
    });
  }

  void finish(std::vector<Item>&) override {
    in_user_terms([&] { close(); });
  }

  // An encoder's state cannot be saved, so a checkpoint ends the part being written (a
  // complete mp4); the next frame starts another, and close() joins them. Parts joined
  // before the previous checkpoint are no longer named by any checkpoint: they go now.
  nlohmann::json checkpoint() override {
    end_part();
    for (const std::string& part : joined_before_) std::filesystem::remove(part);
    joined_before_ = std::move(joined_);
    joined_.clear();
    named_ = parts_.size();
    return {{"video", video_},
            {"parts", parts_},
            {"joined", joined_before_},
            {"files", files_},
            {"frames", frames_}};
  }

  void resume(const nlohmann::json& state) override {
    video_ = state.at("video");
    parts_ = state.at("parts").get<std::vector<std::string>>();
    joined_before_ = state.at("joined").get<std::vector<std::string>>();
    files_ = state.at("files").get<std::vector<std::string>>();
    frames_ = state.at("frames");
    named_ = parts_.size();
  }

  nlohmann::json summary() const override { return {{"files", files_}, {"frames", frames_}}; }

 private:
  void open_part(const Item& item) {
    options_.width = item.frame->width;
    options_.height = item.frame->height;
    std::string path = output_path(ctx_, ".mp4", item.video);
    if (parts_.empty()) {
      // The file is made from the parts when the video ends: fail now if it cannot be.
      if (!std::ofstream(path, std::ios::app))
        throw Error(ExitCode::output, path + ": cannot write (op '" + ctx_.spec->name +
                                          "'); check that --out is a writable folder");
      files_.push_back(path);
    }
    std::string part = part_path(ctx_, path, item.video, std::to_string(parts_.size()));
    writer_ = std::make_unique<video::VideoWriter>(part, options_);
    parts_.push_back(part);
    video_ = item.video;
  }

  // The parts are llama's business: an error writing one (a full disk) names the file the
  // user asked for.
  template <typename Body>
  void in_user_terms(Body body) {
    try {
      body();
    } catch (const Error& e) {
      std::string message = e.what();
      if (!parts_.empty() && !files_.empty() && message.rfind(parts_.back(), 0) == 0)
        message.replace(0, parts_.back().size(), files_.back());
      throw Error(e.code(), message);
    }
  }

  void end_part() {
    if (!writer_) return;
    std::unique_ptr<video::VideoWriter> writer = std::move(writer_);
    writer->close();
    sync_file(parts_.back());
  }

  // The video's parts become its output file, whole or not at all: they are joined beside
  // the parts and renamed into place, so a failed join leaves no broken mp4 behind.
  void close() {
    end_part();
    if (parts_.empty()) return;
    const std::string& path = files_.back();
    std::string ready = parts_[0];  // a lone part no checkpoint names is the file itself
    if (parts_.size() > 1 || named_ > 0) {
      ready = part_path(ctx_, path, video_, "joined");
      video::concat_videos(parts_, ready);
      joined_.insert(joined_.end(), parts_.begin(), parts_.end());
    }
    std::error_code ec;
    std::filesystem::rename(ready, path, ec);
    if (ec)
      throw Error(ExitCode::output,
                  path + ": cannot write (" + ec.message() + ", op '" + ctx_.spec->name + "')");
    parts_.clear();
    named_ = 0;
  }

  OpContext ctx_;
  video::WriteOptions options_;
  std::unique_ptr<video::VideoWriter> writer_;
  int video_ = -1;
  std::vector<std::string> parts_;   // of the video being written; the last is open if writer_
  std::vector<std::string> joined_;  // parts joined into files since the last checkpoint
  std::vector<std::string> joined_before_;  // ... and before it
  size_t named_ = 0;                        // parts named by the last checkpoint
  int64_t frames_ = 0;
  std::vector<std::string> files_;
};

}  // namespace

void register_encode_op(OpRegistry& registry) {
  spec::OpSignature s;
  s.kind = "encode";
  s.summary = "encode frames to an mp4 (H.264 or MPEG-4), keeping timestamps";
  s.accepts = {spec::ItemKind::frame};
  s.produces_items = false;
  s.params = {
      {"file",
       spec::ParamType::output_file,
       false,
       "output file in --out (default <op name>.mp4)",
       {}},
      {"codec", spec::ParamType::string, false, "h264 (default) or mpeg4", {"h264", "mpeg4"}},
      {"crf", spec::ParamType::integer, false, "h264 quality, lower is better (default 23)", {}},
  };
  s.knobs = {device_knob(false), threads_knob(), batch_knob()};
  registry.add(std::move(s), [](const OpContext& ctx) { return std::make_unique<EncodeOp>(ctx); });
}

}  // namespace llama::ops
