#include <doctest/doctest.h>

#include "op_test_util.h"

using namespace llama;

TEST_CASE("window_count counts items and boxes per window, zeros included") {
  test::OpUnderTest w("{name: w, op: window_count, input: decode, params: {window: 1s}}");
  std::vector<ops::Item> in;
  for (double t : {0.0, 0.5, 0.9, 3.2}) {
    ops::Item item = test::frame_item(test::solid_frame(8, 8, 0, t, static_cast<int64_t>(t * 10)));
    item.boxes.resize(2);
    in.push_back(item);
  }
  auto out = w.run(in);
  std::vector<ops::Item> last;
  w.op->finish(last);
  out.insert(out.end(), last.begin(), last.end());
  REQUIRE(out.size() == 4);  // windows 0, 1, 2, 3
  CHECK(out[0].fields["items"] == 3);
  CHECK(out[0].fields["boxes"] == 6);
  CHECK(out[1].fields["items"] == 0);
  CHECK(out[2].fields["items"] == 0);
  CHECK(out[3].fields["items"] == 1);
  CHECK(out[3].fields["window_start"].get<double>() == doctest::Approx(3.0));
  CHECK(out[3].kind == spec::ItemKind::count);
}

TEST_CASE("window_count closes a video's last window when the next video starts") {
  test::OpUnderTest w("{name: w, op: window_count, input: decode, params: {window: 2s}}");
  auto out = w.run({test::frame_item(test::solid_frame(8, 8, 0, 0.5), 0),
                    test::frame_item(test::solid_frame(8, 8, 0, 0.5), 1)});
  REQUIRE(out.size() == 1);
  CHECK(out[0].video == 0);
  std::vector<ops::Item> last;
  w.op->finish(last);
  REQUIRE(last.size() == 1);
  CHECK(last[0].video == 1);
}
