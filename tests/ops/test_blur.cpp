#include <doctest/doctest.h>

#include "op_test_util.h"

using namespace llama;

namespace {

uint8_t pixel(const video::Frame& f, int x, int y) {
  return f.rgb[(static_cast<size_t>(y) * f.width + x) * 3];
}

}  // namespace

TEST_CASE("blur smooths inside the boxes, leaves the rest and the original alone") {
  test::OpUnderTest b("{name: b, op: blur, input: decode, params: {radius: 4}}");
  auto f = test::solid_frame(64, 48, 0);
  for (int x = 0; x < 64; x += 2) test::paint(*f, x, 0, 1, 48, 255);  // 1-px stripes everywhere
  ops::Item item = test::frame_item(f);
  item.boxes = {{8, 8, 24, 24}};
  auto out = b.run({item});
  REQUIRE(out.size() == 1);
  const video::Frame& blurred = *out[0].frame;
  CHECK(out[0].frame.get() != f.get());
  // Inside: stripes average to mid-grey.
  CHECK(std::abs(int(pixel(blurred, 20, 20)) - 128) < 20);
  CHECK(std::abs(int(pixel(blurred, 21, 20)) - 128) < 20);
  // Outside: untouched.
  CHECK(pixel(blurred, 40, 40) == pixel(*f, 40, 40));
  CHECK(pixel(blurred, 41, 40) == pixel(*f, 41, 40));
  // The input frame is shared with other branches and must not change.
  CHECK(pixel(*f, 20, 20) == 255);
}

TEST_CASE("blur of the whole frame, and of a frame without boxes") {
  test::OpUnderTest whole("{name: b, op: blur, input: decode, params: {target: frame, radius: 3}}");
  auto f = test::solid_frame(32, 32, 0);
  test::paint(*f, 16, 0, 16, 32, 200);
  auto out = whole.run({test::frame_item(f)});
  CHECK(pixel(*out[0].frame, 16, 10) < 200);
  CHECK(pixel(*out[0].frame, 15, 10) > 0);

  test::OpUnderTest boxes("{name: b, op: blur, input: decode}");
  auto same = boxes.run({test::frame_item(f)});
  CHECK(same[0].frame.get() == f.get());  // nothing to blur: no copy
}
