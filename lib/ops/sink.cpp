// sink: writes one JSON line per item (schema in README "Results"), flushed after every
// batch so that a run that stops early leaves every record it made on disk.
#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "ops/builtin.h"
#include "ops/output_file.h"

namespace llama::ops {

namespace {

class SinkOp : public Op {
 public:
  explicit SinkOp(const OpContext& ctx) : ctx_(ctx), path_(output_path(ctx, ".jsonl", -1)) {
    out_.open(path_, ctx.resuming ? std::ios::app : std::ios::trunc);
    if (!out_)
      throw Error(ExitCode::output, path_ + ": cannot write (op '" + ctx.spec->name +
                                        "'); check that --out is a writable folder");
  }

  void process(std::vector<Item>& batch, std::vector<Item>&) override {
    std::string lines;
    for (const Item& item : batch) {
      nlohmann::json record = {{"video", ctx_.videos.at(item.video)},
                               {"frame", item.frame_index},
                               {"t", item.timestamp_s},
                               {"op", item.producer ? *item.producer : ctx_.spec->name}};
      for (const auto& [key, value] : item.fields.items()) record[key] = value;
      if (!item.boxes.empty()) {
        nlohmann::json boxes = nlohmann::json::array();
        for (const Box& b : item.boxes) boxes.push_back({b.x, b.y, b.w, b.h});
        record["boxes"] = std::move(boxes);
      }
      if (!item.embedding.empty()) record["embedding"] = item.embedding;
      if (item.timestamp_s < ctx_.warmup_until_s) record["warmup"] = true;
      lines += record.dump();
      lines += '\n';
    }
    out_ << lines;
    out_.flush();
    if (!out_) {
      // Part of the batch may have reached the file, cut mid-record: take the file back to
      // its last whole line, so what a full disk leaves still parses line by line.
      out_.close();
      std::error_code ignored;
      std::filesystem::resize_file(path_, committed_bytes_, ignored);
      throw Error(ExitCode::output, path_ + ": write failed (disk full?), op '" + ctx_.spec->name +
                                        "'; the records before it are kept");
    }
    committed_bytes_ += lines.size();
    records_ += static_cast<int64_t>(batch.size());
  }

  void finish(std::vector<Item>&) override { out_.close(); }

  // The records so far reach the disk before the checkpoint that counts them is written.
  nlohmann::json checkpoint() override {
    sync_file(path_);
    return {{"bytes", committed_bytes_}, {"records", records_}};
  }

  // Records written after the checkpoint are dropped: the resumed run writes them again.
  void resume(const nlohmann::json& state) override {
    auto bytes = state.at("bytes").get<uintmax_t>();
    out_.close();
    std::error_code ec;
    uintmax_t size = std::filesystem::file_size(path_, ec);
    if (ec || size < bytes)
      throw Error(ExitCode::output,
                  path_ + ": holds " + (ec ? "nothing" : std::to_string(size) + " bytes") +
                      " but the checkpoint counted " + std::to_string(bytes) + " (op '" +
                      ctx_.spec->name +
                      "'): the results were changed since; pass --force to start over");
    std::filesystem::resize_file(path_, bytes);
    out_.open(path_, std::ios::app);
    committed_bytes_ = bytes;
    records_ = state.at("records");
  }

  nlohmann::json summary() const override { return {{"file", path_}, {"records", records_}}; }

 private:
  OpContext ctx_;
  std::string path_;
  std::ofstream out_;
  int64_t records_ = 0;            // whole records in the file
  uintmax_t committed_bytes_ = 0;  // the file's size after the last batch that reached it
};

}  // namespace

void register_sink_op(OpRegistry& registry) {
  spec::OpSignature s;
  s.kind = "sink";
  s.summary = "write items as JSON lines";
  s.accepts = {spec::ItemKind::frame, spec::ItemKind::detection, spec::ItemKind::crop,
               spec::ItemKind::embedding, spec::ItemKind::count};
  s.produces_items = false;
  s.params = {{"file",
               spec::ParamType::output_file,
               false,
               "output file in --out (default <op name>.jsonl)",
               {}}};
  s.knobs = {device_knob(false), batch_knob()};
  registry.add(std::move(s), [](const OpContext& ctx) { return std::make_unique<SinkOp>(ctx); });
}

}  // namespace llama::ops
