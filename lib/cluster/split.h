// Splitting a job into tasks. Many videos (the common batch case: a folder of clips) are
// spread over tasks as contiguous runs, so the merged results keep a local run's order; one
// long video is cut into time segments.
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

// A slice of one video in time; the last runs to the end (to_s infinite), so a container
// that understates its duration loses no frame.
struct TimeRange {
  double from_s = 0;
  double to_s = 0;
};

// One video of `duration_s` cut into at most `tasks` segments of about equal length whose
// borders fall on multiples of `align_s` (so no count window and no sampling tick straddles
// a border); fewer when the video is shorter than `tasks` x align_s.
std::vector<TimeRange> split_video(double duration_s, int tasks, double align_s);

// At most `tasks` contiguous ranges covering every video once, the longest (in frames) as
// short as a contiguous split allows; fewer when more would not shorten the longest.
std::vector<InputRange> split_inputs(const std::vector<int64_t>& frames, int tasks);

}  // namespace llama::cluster
