// window_count: counts the items (and the boxes they carry) in consecutive time windows of
// each video, emitting one count item per window, empty windows included.
#include <cmath>
#include <set>

#include "base/error.h"
#include "ops/builtin.h"

namespace llama::ops {

namespace {

class WindowCountOp : public Op {
 public:
  explicit WindowCountOp(const OpContext& ctx)
      : window_s_(ctx.param_duration_s("window", 1.0)),
        distinct_(ctx.param_string("distinct", "")) {
    if (window_s_ <= 0)
      throw Error(ExitCode::bad_spec, ctx.spec->params.at("window").where.file + ": op '" +
                                          ctx.spec->name + "': window must be longer than 0s");
  }

  void process(std::vector<Item>& batch, std::vector<Item>& out) override {
    for (const Item& item : batch) {
      int64_t window = static_cast<int64_t>(std::floor(item.timestamp_s / window_s_));
      if (open_ && item.video != video_) flush(out);
      if (!open_) start(item.video, window, item.frame_index);
      // Windows that saw nothing still count, as zeros: a timeline with holes misleads.
      while (window > window_) {
        flush(out);
        start(item.video, window_ + 1, item.frame_index);
      }
      ++items_;
      boxes_ += static_cast<int64_t>(item.boxes.size());
      if (!distinct_.empty() && item.fields.contains(distinct_))
        seen_.insert(item.fields[distinct_].dump());
    }
  }

  void finish(std::vector<Item>& out) override {
    if (open_) flush(out);
  }

  // The open window: later items of the same window still count in it.
  nlohmann::json checkpoint() override {
    return {
        {"open", open_},   {"video", video_}, {"window", window_}, {"first_frame", first_frame_},
        {"items", items_}, {"boxes", boxes_}, {"seen", seen_},     {"emitted", emitted_}};
  }

  void resume(const nlohmann::json& state) override {
    open_ = state.at("open");
    video_ = state.at("video");
    window_ = state.at("window");
    first_frame_ = state.at("first_frame");
    items_ = state.at("items");
    boxes_ = state.at("boxes");
    seen_ = state.at("seen").get<std::set<std::string>>();
    emitted_ = state.at("emitted");
  }

  nlohmann::json summary() const override { return {{"windows", emitted_}}; }

 private:
  void start(int video, int64_t window, int64_t frame_index) {
    open_ = true;
    video_ = video;
    window_ = window;
    first_frame_ = frame_index;
    items_ = boxes_ = 0;
    seen_.clear();
  }

  void flush(std::vector<Item>& out) {
    Item count;
    count.kind = spec::ItemKind::count;
    count.video = video_;
    count.frame_index = first_frame_;
    count.timestamp_s = static_cast<double>(window_) * window_s_;
    count.fields = {{"window_start", count.timestamp_s},
                    {"window_end", static_cast<double>(window_ + 1) * window_s_},
                    {"items", items_},
                    {"boxes", boxes_}};
    if (!distinct_.empty()) count.fields["distinct"] = static_cast<int64_t>(seen_.size());
    out.push_back(std::move(count));
    ++emitted_;
    open_ = false;
  }

  double window_s_;
  std::string distinct_;        // a field whose distinct values are counted (track_id)
  std::set<std::string> seen_;  // its values in the open window
  bool open_ = false;
  int video_ = 0;
  int64_t window_ = 0;
  int64_t first_frame_ = 0;
  int64_t items_ = 0;
  int64_t boxes_ = 0;
  int64_t emitted_ = 0;
};

}  // namespace

void register_window_count_op(OpRegistry& registry) {
  spec::OpSignature s;
  s.kind = "window_count";
  s.summary = "count items and their boxes per time window";
  s.accepts = {spec::ItemKind::frame, spec::ItemKind::detection, spec::ItemKind::crop,
               spec::ItemKind::embedding};
  s.produces = spec::ItemKind::count;
  s.fields = {"window_start", "window_end", "items", "boxes", "distinct"};
  s.params = {
      {"window", spec::ParamType::duration, false, "window length, e.g. 1s (default)", {}},
      {"distinct",
       spec::ParamType::string,
       false,
       "also count distinct values of this field, e.g. track_id",
       {}},
  };
  s.knobs = {device_knob(false), batch_knob()};
  registry.add(std::move(s),
               [](const OpContext& ctx) { return std::make_unique<WindowCountOp>(ctx); });
}

}  // namespace llama::ops
