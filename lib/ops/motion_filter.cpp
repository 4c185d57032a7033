// motion_filter: frame differencing. Compares each frame with the previous one of the same
// video on a grid of cells, and passes on only frames where something moved, carrying the
// boxes of the regions that changed. Downstream work therefore follows the content.
#include <algorithm>
#include <cstdlib>

#include "ops/builtin.h"
#include "spec/op_signature.h"

namespace llama::ops {

namespace {

// Luma at every `kStep`-th pixel in each direction; a quarter of the pixels is plenty to
// see motion and keeps the filter far cheaper than decoding.
constexpr int kStep = 2;

class MotionFilterOp : public Op {
 public:
  explicit MotionFilterOp(const OpContext& ctx)
      : threshold_(static_cast<int>(ctx.param_number("threshold", 25))),
        cell_(std::max(4, static_cast<int>(ctx.param_number("cell", 16)))),
        min_cells_(std::max(1, static_cast<int>(ctx.param_number("min_cells", 2)))),
        cell_fraction_(ctx.param_number("cell_fraction", 0.1)),
        emit_all_(ctx.param_string("emit", "changed") == "all") {}

  void process(std::vector<Item>& batch, std::vector<Item>& out) override {
    for (Item& item : batch) {
      const video::Frame& frame = *item.frame;
      std::vector<uint8_t> luma = sampled_luma(frame);
      bool comparable = item.video == video_ && luma.size() == previous_.size();
      std::vector<Box> boxes;
      double changed_fraction = 0;
      if (comparable) boxes = changed_regions(frame, luma, changed_fraction);
      previous_ = std::move(luma);
      video_ = item.video;
      if (boxes.empty() && !emit_all_) continue;
      item.fields["regions"] = static_cast<int64_t>(boxes.size());
      item.fields["motion"] = changed_fraction;
      item.boxes = std::move(boxes);
      out.push_back(std::move(item));
    }
  }

  // The previous frame's sampled luma: the next frame is compared with it.
  nlohmann::json checkpoint() override {
    return {{"video", video_}, {"previous", nlohmann::json::binary(previous_)}};
  }

  void resume(const nlohmann::json& state) override {
    video_ = state.at("video");
    previous_ = state.at("previous").get_binary();
  }

 private:
  std::vector<uint8_t> sampled_luma(const video::Frame& f) const {
    int w = (f.width + kStep - 1) / kStep, h = (f.height + kStep - 1) / kStep;
    std::vector<uint8_t> luma(static_cast<size_t>(w) * h);
    for (int y = 0; y < h; ++y) {
      const uint8_t* row = f.rgb.data() + static_cast<size_t>(y * kStep) * f.width * 3;
      for (int x = 0; x < w; ++x) {
        const uint8_t* p = row + static_cast<size_t>(x * kStep) * 3;
        luma[static_cast<size_t>(y) * w + x] =
            static_cast<uint8_t>((77 * p[0] + 150 * p[1] + 29 * p[2]) >> 8);
      }
    }
    return luma;
  }

  std::vector<Box> changed_regions(const video::Frame& f, const std::vector<uint8_t>& luma,
                                   double& changed_fraction) const {
    int w = (f.width + kStep - 1) / kStep, h = (f.height + kStep - 1) / kStep;
    int cell = std::max(1, cell_ / kStep);  // cell size in sampled pixels
    int cols = (w + cell - 1) / cell, rows = (h + cell - 1) / cell;
    std::vector<int> changed_count(static_cast<size_t>(cols) * rows, 0);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        size_t i = static_cast<size_t>(y) * w + x;
        if (std::abs(static_cast<int>(luma[i]) - static_cast<int>(previous_[i])) > threshold_)
          ++changed_count[static_cast<size_t>(y / cell) * cols + x / cell];
      }
    std::vector<char> hot(changed_count.size(), 0);
    int hot_cells = 0;
    for (size_t i = 0; i < hot.size(); ++i) {
      hot[i] = changed_count[i] > cell_fraction_ * cell * cell;
      hot_cells += hot[i];
    }
    changed_fraction = static_cast<double>(hot_cells) / static_cast<double>(hot.size());

    // Connected components of hot cells (8-neighbours) become boxes.
    std::vector<Box> boxes;
    std::vector<char> seen(hot.size(), 0);
    std::vector<int> stack;
    for (int start = 0; start < static_cast<int>(hot.size()); ++start) {
      if (!hot[start] || seen[start]) continue;
      int x0 = cols, y0 = rows, x1 = -1, y1 = -1, cells = 0;
      stack.assign(1, start);
      seen[start] = 1;
      while (!stack.empty()) {
        int c = stack.back();
        stack.pop_back();
        int cx = c % cols, cy = c / cols;
        x0 = std::min(x0, cx), y0 = std::min(y0, cy), x1 = std::max(x1, cx), y1 = std::max(y1, cy);
        ++cells;
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx) {
            int nx = cx + dx, ny = cy + dy;
            if (nx < 0 || ny < 0 || nx >= cols || ny >= rows) continue;
            int n = ny * cols + nx;
            if (hot[n] && !seen[n]) {
              seen[n] = 1;
              stack.push_back(n);
            }
          }
      }
      if (cells < min_cells_) continue;
      int px = cell * kStep;  // cell size in source pixels
      Box b{x0 * px, y0 * px, (x1 + 1) * px, (y1 + 1) * px};
      b.w = std::min(b.w, f.width) - b.x;
      b.h = std::min(b.h, f.height) - b.y;
      boxes.push_back(b);
    }
    return boxes;
  }

  int threshold_;
  int cell_;
  int min_cells_;
  double cell_fraction_;
  bool emit_all_;
  int video_ = -1;
  std::vector<uint8_t> previous_;
};

}  // namespace

void register_motion_filter_op(OpRegistry& registry) {
  spec::OpSignature s;
  s.kind = "motion_filter";
  s.summary = "pass frames that changed since the previous one, with the changed regions";
  s.accepts = {spec::ItemKind::frame};
  s.produces = spec::ItemKind::frame;
  s.fields = {"regions", "motion"};
  s.params = {
      {"threshold",
       spec::ParamType::number,
       false,
       "luma difference (0-255) that counts as change",
       {}},
      {"cell", spec::ParamType::integer, false, "grid cell size in pixels (default 16)", {}},
      {"min_cells", spec::ParamType::integer, false, "smallest region, in cells (default 2)", {}},
      {"cell_fraction",
       spec::ParamType::number,
       false,
       "share of a cell's pixels that must change (default 0.1)",
       {}},
      {"emit",
       spec::ParamType::string,
       false,
       "changed (default) or all frames",
       {"changed", "all"}},
  };
  s.knobs = {device_knob(false), batch_knob()};
  registry.add(std::move(s),
               [](const OpContext& ctx) { return std::make_unique<MotionFilterOp>(ctx); });
}

}  // namespace llama::ops
