// Model-input images: bilinear resize (half-pixel centres, as torch and cv2 do) of known
// gradients, crops, scale and offset, layout; and IoU.
#include "models/image.h"
#include "torch_doctest.h"

using namespace llama::models;

namespace {

// width x height RGB whose red is 10 * x, green 10 * y and blue 7.
std::vector<uint8_t> gradient(int width, int height) {
  std::vector<uint8_t> rgb;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      rgb.push_back(static_cast<uint8_t>(10 * x));
      rgb.push_back(static_cast<uint8_t>(10 * y));
      rgb.push_back(7);
    }
  return rgb;
}

std::vector<float> row(const torch::Tensor& t, int64_t n, int64_t y, int64_t c) {
  torch::Tensor r = t[n].select(2, c)[y].contiguous();
  return std::vector<float>(r.data_ptr<float>(), r.data_ptr<float>() + r.numel());
}

}  // namespace

TEST_CASE("resize_batch: same size is the pixels, scaled and offset, NHWC float") {
  std::vector<uint8_t> rgb = gradient(4, 3);
  torch::Tensor t = resize_batch({{rgb.data(), 4, 3}}, 4, 3, 0.5, -1, torch::kCPU);
  CHECK(t.sizes().vec() == std::vector<int64_t>{1, 3, 4, 3});
  CHECK(t.dtype() == torch::kFloat);
  CHECK(t.is_contiguous());
  CHECK(row(t, 0, 2, 0) == std::vector<float>{-1, 4, 9, 14});  // red 0,10,20,30
  CHECK(row(t, 0, 2, 1) == std::vector<float>{9, 9, 9, 9});    // green 20
  CHECK(t[0][1][3][2].item<float>() == 2.5f);                  // blue 7
}

TEST_CASE("resize_batch: bilinear with half-pixel centres, edges clamped") {
  std::vector<uint8_t> rgb = gradient(4, 2);
  // Down by 2: output pixel i samples source x = 2i + 0.5, between two pixels.
  torch::Tensor down = resize_batch({{rgb.data(), 4, 2}}, 2, 1, 1, 0, torch::kCPU);
  CHECK(row(down, 0, 0, 0) == std::vector<float>{5, 25});
  CHECK(row(down, 0, 0, 1) == std::vector<float>{5, 5});
  // Up by 2: x = i/2 - 0.25, clamped to the edge pixels at both ends.
  torch::Tensor up = resize_batch({{rgb.data(), 4, 2}}, 8, 2, 1, 0, torch::kCPU);
  std::vector<float> want = {0, 2.5, 7.5, 12.5, 17.5, 22.5, 27.5, 30};
  std::vector<float> got = row(up, 0, 0, 0);
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]));
}

TEST_CASE("resize_batch: images of different sizes make one batch in input order") {
  std::vector<uint8_t> a = gradient(4, 4), b = gradient(8, 2);
  torch::Tensor t = resize_batch({{a.data(), 4, 4}, {b.data(), 8, 2}}, 4, 2, 1, 0, torch::kCPU);
  CHECK(t.sizes().vec() == std::vector<int64_t>{2, 2, 4, 3});
  CHECK(row(t, 0, 0, 0) == std::vector<float>{0, 10, 20, 30});  // width kept
  CHECK(row(t, 1, 0, 0) == std::vector<float>{5, 25, 45, 65});  // halved
  CHECK(resize_batch({}, 4, 2, 1, 0, torch::kCPU).size(0) == 0);
}

TEST_CASE("crop_resize_batch: the region's pixels, clamped to the image") {
  std::vector<uint8_t> rgb = gradient(6, 4);
  ImageView image{rgb.data(), 6, 4};
  torch::Tensor t = crop_resize_batch({image, image}, {Rect{2, 1, 2, 2}, Rect{4, -3, 10, 5}}, 2, 2,
                                      1, 0, torch::kCPU);
  CHECK(t.sizes().vec() == std::vector<int64_t>{2, 2, 2, 3});
  CHECK(row(t, 0, 0, 0) == std::vector<float>{20, 30});  // x = 2, 3
  CHECK(row(t, 0, 1, 1) == std::vector<float>{20, 20});  // y = 2
  // Clamped to x 4..5, y 0..1: the crop is already 2x2.
  CHECK(row(t, 1, 0, 0) == std::vector<float>{40, 50});
  CHECK(row(t, 1, 1, 1) == std::vector<float>{10, 10});
}

TEST_CASE("iou") {
  CHECK(iou({0, 0, 10, 10}, {0, 0, 10, 10}) == doctest::Approx(1));
  CHECK(iou({0, 0, 10, 10}, {5, 0, 10, 10}) == doctest::Approx(50.0 / 150));
  CHECK(iou({0, 0, 10, 10}, {10, 0, 10, 10}) == 0);  // touching
  CHECK(iou({0, 0, 10, 10}, {2, 2, 5, 5}) == doctest::Approx(0.25));
  CHECK(iou({0, 0, 0, 0}, {0, 0, 0, 0}) == 0);
}
