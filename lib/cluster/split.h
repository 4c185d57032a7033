// Splitting a job into tasks. Many videos (the common batch case: a folder of clips) are
// spread over tasks as contiguous runs, so the merged results keep a local run's order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace llama::cluster {

struct InputRange {
  size_t begin = 0;  // first video of the task
  size_t end = 0;    // one past its last
  int64_t frames = 0;
};

// At most `tasks` contiguous ranges covering every video once, the longest (in frames) as
// short as a contiguous split allows; fewer when more would not shorten the longest.
std::vector<InputRange> split_inputs(const std::vector<int64_t>& frames, int tasks);

}  // namespace llama::cluster
