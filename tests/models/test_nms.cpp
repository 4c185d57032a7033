// Non-maximum suppression on hand-made boxes: best first, per class, threshold, cap.
#include "models/detector.h"
#include "torch_doctest.h"

using llama::models::Detection;
using llama::models::non_max_suppression;
using llama::models::Rect;

namespace {

Detection det(float x, float y, float w, float h, float score, int class_id = 0) {
  Detection d;
  d.box = Rect{x, y, w, h};
  d.score = score;
  d.class_id = class_id;
  return d;
}

}  // namespace

TEST_CASE("nms keeps the best of overlapping boxes and all separate ones, best first") {
  std::vector<Detection> d = {
      det(0, 0, 10, 10, 0.6f),    // overlaps 1 by IoU 81/119 = 0.68: suppressed
      det(1, 1, 10, 10, 0.9f),    // the best
      det(50, 50, 10, 10, 0.7f),  // alone
      det(100, 0, 10, 10, 0.8f),  // alone
  };
  CHECK(non_max_suppression(d, 0.5f, 100) == std::vector<size_t>{1, 3, 2});
  // A looser threshold keeps the overlapping one too.
  CHECK(non_max_suppression(d, 0.7f, 100) == std::vector<size_t>{1, 3, 2, 0});
}

TEST_CASE("nms suppresses only within a class") {
  std::vector<Detection> d = {det(0, 0, 10, 10, 0.9f, 0), det(0, 0, 10, 10, 0.8f, 2),
                              det(0, 0, 10, 10, 0.7f, 0)};
  CHECK(non_max_suppression(d, 0.5f, 100) == std::vector<size_t>{0, 1});
}

TEST_CASE("nms: IoU equal to the threshold is kept, a chain is judged against kept boxes only") {
  // b overlaps a by exactly 1/3 (IoU of two 10x10 boxes sharing half): kept at threshold 1/3.
  std::vector<Detection> d = {det(0, 0, 10, 10, 0.9f), det(5, 0, 10, 10, 0.8f)};
  CHECK(non_max_suppression(d, 1.f / 3, 10).size() == 2);
  CHECK(non_max_suppression(d, 0.3f, 10).size() == 1);
  // a suppresses b, and c (which overlaps only b) survives.
  std::vector<Detection> chain = {det(0, 0, 10, 10, 0.9f), det(4, 0, 10, 10, 0.8f),
                                  det(8, 0, 10, 10, 0.7f)};
  CHECK(non_max_suppression(chain, 0.3f, 10) == std::vector<size_t>{0, 2});
}

TEST_CASE("nms caps the number kept; equal scores keep input order") {
  std::vector<Detection> d;
  for (int i = 0; i < 5; ++i) d.push_back(det(20.f * i, 0, 10, 10, 0.5f));
  CHECK(non_max_suppression(d, 0.5f, 3) == std::vector<size_t>{0, 1, 2});
  CHECK(non_max_suppression(d, 0.5f, 0).empty());
  CHECK(non_max_suppression(d, 0.5f, -1).size() == 5);
  CHECK(non_max_suppression({}, 0.5f, 10).empty());
}
