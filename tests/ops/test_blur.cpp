#include <doctest/doctest.h>

#include "base/error.h"
#include "op_test_util.h"
#include "ops/torch_threads.h"

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

TEST_CASE("blur by a mask: weight 1 blurs, 0 keeps, and the mask wins over boxes") {
  test::OpUnderTest b("{name: b, op: blur, input: decode, params: {radius: 4}}");
  auto f = test::solid_frame(64, 48, 0);
  for (int x = 0; x < 64; x += 2) test::paint(*f, x, 0, 1, 48, 255);
  ops::Item item = test::frame_item(f);
  auto mask = std::make_shared<std::vector<float>>(64 * 48, 0.0f);
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 32; ++x) (*mask)[y * 64 + x] = 1.0f;  // the left half is a "person"
  item.mask = mask;
  item.boxes = {{40, 8, 16, 16}};  // ignored: the mask says what to blur
  auto out = b.run({item});
  const video::Frame& blurred = *out.at(0).frame;
  CHECK(std::abs(int(pixel(blurred, 16, 20)) - 128) < 20);
  CHECK(std::abs(int(pixel(blurred, 17, 20)) - 128) < 20);
  CHECK(pixel(blurred, 48, 16) == 255);  // inside the box, outside the mask: sharp
  CHECK(pixel(blurred, 49, 16) == 0);
  CHECK(pixel(*f, 16, 20) == 255);  // the shared input is untouched

  // A half weight lands halfway between the pixel and its blur.
  std::fill(mask->begin(), mask->end(), 0.5f);
  auto half = b.run({item});
  CHECK(std::abs(int(pixel(*half.at(0).frame, 16, 20)) - (255 + 128) / 2) < 20);
}

TEST_CASE("blur: target mask on a frame without one names the fix; an empty mask copies") {
  test::OpUnderTest b("{name: redact, op: blur, input: decode, params: {target: mask}}");
  auto f = test::solid_frame(16, 16, 0, 0.0, 7);
  try {
    b.run({test::frame_item(f)});
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::runtime);
    std::string what = e.what();
    CHECK(what.find("redact") != std::string::npos);
    CHECK(what.find("frame 7") != std::string::npos);
    CHECK(what.find("segment") != std::string::npos);
  }
  ops::Item item = test::frame_item(f);
  item.mask = std::make_shared<std::vector<float>>(16 * 16, 0.0f);
  auto out = b.run({item});
  CHECK(pixel(*out.at(0).frame, 3, 3) == 0);
}

TEST_CASE("blur on CUDA gives the CPU's pixels, boxes and mask alike") {
  if (!ops::cuda_available()) {
    MESSAGE("skipped: this libtorch sees no CUDA device");
    return;
  }
  auto f = test::solid_frame(64, 48, 0);
  for (int x = 0; x < 64; x += 3) test::paint(*f, x, 0, 1, 48, 255);
  auto mask = std::make_shared<std::vector<float>>(64 * 48, 0.0f);
  for (int i = 0; i < 64 * 24; ++i) (*mask)[i] = 0.5f;
  for (bool with_mask : {false, true}) {
    ops::Item item = test::frame_item(f);
    item.boxes = {{4, 4, 30, 20}, {40, 10, 20, 30}};
    if (with_mask) item.mask = mask;
    test::OpUnderTest cpu("{name: b, op: blur, input: decode, params: {radius: 5}}");
    test::OpUnderTest gpu(
        "{name: b, op: blur, input: decode, params: {radius: 5}, knobs: {device: [cuda]}}");
    auto want = cpu.run({item});
    auto got = gpu.run({item});
    REQUIRE(got.size() == 1);
    int worst = 0;
    for (size_t i = 0; i < want[0].frame->rgb.size(); ++i)
      worst = std::max(worst, std::abs(int(want[0].frame->rgb[i]) - int(got[0].frame->rgb[i])));
    INFO("with mask: " << with_mask);
    CHECK(worst <= 1);  // float sums in another order may round one level apart
  }
}
