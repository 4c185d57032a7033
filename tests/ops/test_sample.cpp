#include <doctest/doctest.h>

#include "op_test_util.h"

using namespace llama;

namespace {

std::vector<ops::Item> ten_fps(int frames) {
  std::vector<ops::Item> items;
  for (int i = 0; i < frames; ++i)
    items.push_back(test::frame_item(test::solid_frame(4, 4, 0, i * 0.1, i)));
  return items;
}

}  // namespace

TEST_CASE("sample by fps keeps frames on the rate's ticks") {
  test::OpUnderTest s("{name: s, op: sample, input: decode, params: {fps: 5}}");
  auto out = s.run(ten_fps(20));
  REQUIRE(out.size() == 10);
  CHECK(out[1].frame_index == 2);
  CHECK(out[9].frame_index == 18);
}

TEST_CASE("sample by stride keeps every n-th frame") {
  test::OpUnderTest s("{name: s, op: sample, input: decode, params: {stride: 3}}");
  auto out = s.run(ten_fps(10));
  REQUIRE(out.size() == 4);
  CHECK(out[3].frame_index == 9);
}
