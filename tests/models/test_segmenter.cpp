// Segmenter on messi5.jpg: a source-sized 0..1 mask, high on Messi's body, low on the grass.
#include <algorithm>

#include "models/segmenter.h"
#include "picture.h"

using namespace llama;

namespace {

double mean_in(const models::Mask& m, int x0, int y0, int x1, int y1) {
  double sum = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) sum += m.values[static_cast<size_t>(y) * m.width + x];
  return sum / ((x1 - x0) * (y1 - y0));
}

std::string model_json() {
  return (test::source_dir() / "models/selfie.json").string();
}

}  // namespace

TEST_CASE("selfie segments Messi: mask at source size, body high, grass low") {
  test::Picture messi = test::decode_picture("data/messi5.jpg", 548, 342);
  models::Segmenter segmenter(model_json(), "cpu");
  auto masks = segmenter.segment({messi.view()});
  REQUIRE(masks.size() == 1);
  const models::Mask& m = masks[0];
  CHECK(m.width == 548);
  CHECK(m.height == 342);
  REQUIRE(m.values.size() == 548u * 342u);
  CHECK(*std::min_element(m.values.begin(), m.values.end()) >= 0);
  CHECK(*std::max_element(m.values.begin(), m.values.end()) <= 1);
  double body = mean_in(m, 215, 130, 285, 220);  // his shirt, below the "unicef"
  double grass = mean_in(m, 0, 295, 90, 342);    // the pitch, bottom left corner
  MESSAGE("mean mask: body " << body << ", grass " << grass);
  CHECK(body > 0.5);
  CHECK(grass < 0.2);
}

TEST_CASE("a batch of different sizes: one mask per image at its own size") {
  test::Picture messi = test::decode_picture("data/messi5.jpg", 548, 342);
  test::Picture frame = test::decode_picture("data/vtest.avi", 768, 576);
  models::Segmenter segmenter(model_json(), "cpu");
  auto single = segmenter.segment({messi.view()});
  auto masks = segmenter.segment({frame.view(), messi.view()});
  REQUIRE(masks.size() == 2);
  CHECK(masks[0].width == 768);
  CHECK(masks[0].height == 576);
  REQUIRE(masks[1].values.size() == single[0].values.size());
  float worst = 0;
  for (size_t i = 0; i < single[0].values.size(); ++i)
    worst = std::max(worst, std::abs(masks[1].values[i] - single[0].values[i]));
  CHECK(worst < 1e-4);
  CHECK(segmenter.segment({}).empty());
}
