#include <doctest/doctest.h>

#include <algorithm>
#include <climits>
#include <cmath>

#include "cluster/split.h"

using llama::cluster::InputRange;
using llama::cluster::split_inputs;

namespace {

int64_t longest(const std::vector<InputRange>& ranges) {
  int64_t most = 0;
  for (const InputRange& r : ranges) most = std::max(most, r.frames);
  return most;
}

// Every video once, in order.
void check_covers(const std::vector<InputRange>& ranges, size_t videos) {
  size_t next = 0;
  for (const InputRange& r : ranges) {
    CHECK(r.begin == next);
    CHECK(r.end > r.begin);
    next = r.end;
  }
  CHECK(next == videos);
}

}  // namespace

TEST_CASE("equal videos spread evenly, never more tasks than videos") {
  std::vector<int64_t> frames(10, 100);
  auto four = split_inputs(frames, 4);
  check_covers(four, 10);
  CHECK(longest(four) == 300);  // 10 videos over 4 tasks: 3,3,3,1 or alike
  CHECK(four.size() <= 4);
  auto many = split_inputs(frames, 50);
  check_covers(many, 10);
  CHECK(many.size() == 10);
  auto one = split_inputs(frames, 1);
  REQUIRE(one.size() == 1);
  CHECK(one[0].frames == 1000);
}

TEST_CASE("a long video gets a task of its own; the short ones share") {
  std::vector<int64_t> frames = {10, 10, 1000, 10, 10, 10};
  auto ranges = split_inputs(frames, 3);
  check_covers(ranges, frames.size());
  CHECK(longest(ranges) == 1000);
  // No split has a longest task under the longest video, and fewer tasks do as well here.
  CHECK(ranges.size() <= 3);
}

TEST_CASE("the longest task is as short as any contiguous split allows") {
  std::vector<int64_t> frames = {7, 2, 5, 10, 8, 1, 1, 9, 3};
  // Best contiguous 3-split by brute force.
  int64_t best = INT64_MAX;
  for (size_t a = 1; a < frames.size(); ++a)
    for (size_t b = a + 1; b < frames.size(); ++b) {
      int64_t s[3] = {0, 0, 0};
      for (size_t i = 0; i < frames.size(); ++i) s[i < a ? 0 : i < b ? 1 : 2] += frames[i];
      best = std::min(best, std::max({s[0], s[1], s[2]}));
    }
  auto ranges = split_inputs(frames, 3);
  check_covers(ranges, frames.size());
  CHECK(longest(ranges) == best);
}

TEST_CASE("videos of unknown length still count, and no videos make no tasks") {
  CHECK(split_inputs({}, 4).empty());
  auto ranges = split_inputs({0, 0, 0, 0}, 2);
  check_covers(ranges, 4);
  CHECK(ranges.size() == 2);
}

TEST_CASE("a video is cut on aligned borders into about equal segments") {
  using llama::cluster::split_video;
  auto three = split_video(79.5, 3, 5);  // vtest.avi, windows of 5 s
  REQUIRE(three.size() == 3);
  CHECK(three[0].from_s == 0);
  CHECK(three[1].from_s == 25);
  CHECK(three[2].from_s == 55);
  CHECK(three[0].to_s == 25);
  CHECK(three[1].to_s == 55);
  CHECK(std::isinf(three[2].to_s));  // the last reads to the end
  // Shorter than the tasks' aligned borders allow: fewer segments, never an empty one.
  auto short_video = split_video(7, 4, 5);
  REQUIRE(short_video.size() == 2);
  CHECK(short_video[1].from_s == 5);
  CHECK(split_video(3, 4, 5).size() == 1);
  CHECK(split_video(100, 1, 1).size() == 1);
}
