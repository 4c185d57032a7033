#include "cluster/borders.h"

#include <cmath>
#include <cstdlib>
#include <numeric>

#include "spec/duration.h"

namespace llama::cluster {

namespace {

// Longer windows than this are left to straddle (their counts at a border are split).
constexpr int64_t kMaxAlignMs = 10 * 60 * 1000;

// Folds a period into the alignment, in whole milliseconds.
void align_to(int64_t& align_ms, double period_s) {
  const int64_t ms = std::llround(period_s * 1000);
  if (ms <= 0 || std::abs(period_s * 1000 - static_cast<double>(ms)) > 1e-6) return;
  const int64_t joined = std::lcm(align_ms, ms);
  align_ms = joined <= kMaxAlignMs ? joined : std::max(align_ms, ms);
}

}  // namespace

Borders segment_borders(const spec::PipelineSpec& pipeline) {
  int64_t tick_ms = 1000;  // whole seconds at least
  double state_s = 0;      // how far back stateful ops remember
  int64_t window_ms = 1;
  for (const spec::OpSpec& op : pipeline.ops) {
    if (op.kind == "decode") {
      auto fps = op.knobs.find("fps");
      if (fps != op.knobs.end())
        for (const std::string& value : fps->second.values) {
          const double f = std::strtod(value.c_str(), nullptr);
          if (f > 0) align_to(tick_ms, 1.0 / f);
        }
      auto param = op.params.find("fps");
      if (param != op.params.end() && param->second.value.is_number())
        align_to(tick_ms, 1.0 / param->second.value.get<double>());
    }
    if (op.kind == "window_count") align_to(window_ms, spec::duration_param(op, "window", 1.0));
    if (op.kind == "track") state_s = std::max(state_s, spec::duration_param(op, "max_age", 1.0));
  }
  int64_t align_ms = tick_ms;
  align_to(align_ms, static_cast<double>(window_ms) / 1000);
  Borders b;
  b.align_s = static_cast<double>(align_ms) / 1000;
  // A second more than the longest memory, in whole ticks.
  const double tick_s = static_cast<double>(tick_ms) / 1000;
  b.warmup_s = std::ceil((state_s + 1.0) / tick_s) * tick_s;
  return b;
}

}  // namespace llama::cluster
