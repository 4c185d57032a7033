#include <doctest/doctest.h>

#include "op_test_util.h"

using namespace llama;

TEST_CASE("motion_filter drops still frames and boxes the region that changed") {
  test::OpUnderTest m("{name: m, op: motion_filter, input: decode}");
  auto still = test::solid_frame(320, 240, 40, 0.0, 0);
  auto same = test::solid_frame(320, 240, 40, 0.1, 1);
  auto moved = test::solid_frame(320, 240, 40, 0.2, 2);
  test::paint(*moved, 100, 60, 48, 64, 220);  // a bright object appears

  auto out = m.run({test::frame_item(still), test::frame_item(same), test::frame_item(moved)});
  REQUIRE(out.size() == 1);
  CHECK(out[0].frame_index == 2);
  REQUIRE(out[0].boxes.size() == 1);
  const ops::Box& b = out[0].boxes[0];
  // Cells are 16 px: the box covers the object, rounded out to the grid.
  CHECK(b.x <= 100);
  CHECK(b.y <= 60);
  CHECK(b.x + b.w >= 148);
  CHECK(b.y + b.h >= 124);
  CHECK(b.w <= 48 + 32);
  CHECK(b.h <= 64 + 32);
  CHECK(out[0].fields["regions"] == 1);
  CHECK(out[0].fields["motion"].get<double>() > 0.0);
}

TEST_CASE("motion_filter finds separate regions and ignores specks") {
  test::OpUnderTest m("{name: m, op: motion_filter, input: decode, params: {min_cells: 2}}");
  auto before = test::solid_frame(320, 240, 0, 0.0, 0);
  auto after = test::solid_frame(320, 240, 0, 0.1, 1);
  test::paint(*after, 16, 16, 40, 40, 255);
  test::paint(*after, 200, 150, 60, 40, 255);
  test::paint(*after, 300, 10, 3, 3, 255);  // one speck, under one cell: not a region
  auto out = m.run({test::frame_item(before), test::frame_item(after)});
  REQUIRE(out.size() == 1);
  CHECK(out[0].boxes.size() == 2);
}

TEST_CASE("motion_filter compares frames of the same video only") {
  test::OpUnderTest m("{name: m, op: motion_filter, input: decode}");
  auto a = test::solid_frame(64, 64, 0, 0.0, 0);
  auto b = test::solid_frame(64, 64, 255, 0.0, 0);  // first frame of the next video
  auto out = m.run({test::frame_item(a, 0), test::frame_item(b, 1)});
  CHECK(out.empty());
}

TEST_CASE("motion_filter with emit: all passes every frame, boxes or not") {
  test::OpUnderTest m("{name: m, op: motion_filter, input: decode, params: {emit: all}}");
  auto a = test::solid_frame(64, 64, 0, 0.0, 0);
  auto b = test::solid_frame(64, 64, 0, 0.1, 1);
  auto out = m.run({test::frame_item(a), test::frame_item(b)});
  REQUIRE(out.size() == 2);
  CHECK(out[1].boxes.empty());
  CHECK(out[1].fields["regions"] == 0);
}
