// encode: writes the frames it receives to an mp4 per video, keeping their timestamps.
#include <memory>

#include "ops/builtin.h"
#include "ops/output_file.h"
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
    for (const Item& item : batch) {
      if (writer_ && item.video != video_) close();
      if (!writer_) open(item);
      writer_->write(*item.frame);
      ++frames_;
    }
  }

  void finish(std::vector<Item>&) override { close(); }

  nlohmann::json summary() const override { return {{"files", files_}, {"frames", frames_}}; }

 private:
  void open(const Item& item) {
    options_.width = item.frame->width;
    options_.height = item.frame->height;
    std::string path = output_path(ctx_, ".mp4", item.video);
    writer_ = std::make_unique<video::VideoWriter>(path, options_);
    video_ = item.video;
    files_.push_back(path);
  }

  void close() {
    if (!writer_) return;
    std::unique_ptr<video::VideoWriter> writer = std::move(writer_);
    writer->close();
  }

  OpContext ctx_;
  video::WriteOptions options_;
  std::unique_ptr<video::VideoWriter> writer_;
  int video_ = -1;
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
