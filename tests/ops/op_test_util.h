// Helpers for op tests: hand-made frames and ops built from a YAML snippet.
#pragma once

#include <memory>

#include "graph/graph.h"
#include "ops/registry.h"

namespace llama::test {

inline std::shared_ptr<video::Frame> solid_frame(int w, int h, uint8_t value, double t = 0,
                                                 int64_t index = 0) {
  auto f = std::make_shared<video::Frame>();
  f->width = w;
  f->height = h;
  f->index = index;
  f->timestamp_s = t;
  f->rgb.assign(static_cast<size_t>(w) * h * 3, value);
  return f;
}

inline void paint(video::Frame& f, int x0, int y0, int w, int h, uint8_t value) {
  for (int y = y0; y < y0 + h; ++y)
    for (int x = x0; x < x0 + w; ++x)
      for (int c = 0; c < 3; ++c) f.rgb[(static_cast<size_t>(y) * f.width + x) * 3 + c] = value;
}

inline ops::Item frame_item(std::shared_ptr<video::Frame> f, int video = 0) {
  ops::Item item;
  item.video = video;
  item.frame_index = f->index;
  item.timestamp_s = f->timestamp_s;
  item.frame = std::move(f);
  return item;
}

// Builds the last op of a decode -> [upstream ops] -> op pipeline, as the executor would.
// `head` goes before `ops:` (e.g. a `models:` section); `upstream` is more op lines, for ops
// that cannot take frames straight from decode.
struct OpUnderTest {
  explicit OpUnderTest(const std::string& op_yaml, std::string out_dir = ".",
                       const std::string& head = "", const std::string& upstream = "")
      : pipeline(graph::load_pipeline_text(
            head + "ops:\n  - {name: decode, op: decode}\n" + upstream + "  - " + op_yaml + "\n",
            "test.yaml", ops::builtin_registry().catalog())) {
    const spec::OpSpec& spec = pipeline.spec.ops.back();
    ctx = {&spec, {}, {"a.mp4", "b.mp4"}, std::move(out_dir), {}};
    for (const spec::ModelSpec& m : pipeline.spec.models) ctx.models[m.name] = m;
    for (const auto& [name, knob] : spec.knobs) ctx.config[name] = knob.values.front();
    op = ops::builtin_registry().create(spec.kind, ctx);
  }

  // Another instance of the op, as a resumed run builds it (OpContext::resuming).
  std::unique_ptr<ops::Op> another(bool resuming) const {
    ops::OpContext again = ctx;
    again.resuming = resuming;
    return ops::builtin_registry().create(again.spec->kind, again);
  }

  std::vector<ops::Item> run(std::vector<ops::Item> batch) {
    std::vector<ops::Item> out;
    op->process(batch, out);
    return out;
  }

  graph::Pipeline pipeline;
  ops::OpContext ctx;
  std::unique_ptr<ops::Op> op;
};

}  // namespace llama::test
