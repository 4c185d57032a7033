#include "cluster/split.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace llama::cluster {

namespace {

// Greedy: fill each task up to `capacity` frames.
std::vector<InputRange> fill(const std::vector<int64_t>& frames, int64_t capacity) {
  std::vector<InputRange> ranges;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (ranges.empty() || ranges.back().frames + frames[i] > capacity) ranges.push_back({i, i, 0});
    ranges.back().end = i + 1;
    ranges.back().frames += frames[i];
  }
  return ranges;
}

}  // namespace

std::vector<TimeRange> split_video(double duration_s, int tasks, double align_s) {
  std::vector<TimeRange> ranges;
  double from = 0;
  for (int k = 1; k < std::max(tasks, 1); ++k) {
    const double border = std::round(duration_s * k / tasks / align_s) * align_s;
    if (border <= from || border >= duration_s) continue;
    ranges.push_back({from, border});
    from = border;
  }
  ranges.push_back({from, HUGE_VAL});
  return ranges;
}

std::vector<InputRange> split_inputs(const std::vector<int64_t>& frames, int tasks) {
  if (frames.empty()) return {};
  tasks = std::max(tasks, 1);
  // A video of unknown length still costs something.
  std::vector<int64_t> weight(frames.size());
  std::transform(frames.begin(), frames.end(), weight.begin(),
                 [](int64_t f) { return std::max<int64_t>(f, 1); });
  // The least capacity with which the greedy fill needs no more than `tasks` tasks.
  int64_t lo = *std::max_element(weight.begin(), weight.end());
  int64_t hi = std::accumulate(weight.begin(), weight.end(), int64_t{0});
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (fill(weight, mid).size() <= static_cast<size_t>(tasks))
      hi = mid;
    else
      lo = mid + 1;
  }
  std::vector<InputRange> ranges = fill(weight, lo);
  for (InputRange& r : ranges) {
    r.frames = 0;
    for (size_t i = r.begin; i < r.end; ++i) r.frames += frames[i];
  }
  return ranges;
}

}  // namespace llama::cluster
