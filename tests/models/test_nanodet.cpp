// NanoDet on a real frame: the pedestrians of vtest.avi frame 100, marked by eye, are found
// as persons; a batch gives what single frames give; bad options are spec errors.
#include <sstream>

#include "base/error.h"
#include "models/detector.h"
#include "picture.h"

using namespace llama;
using models::Detection;
using models::Rect;

namespace {

models::DetectorOptions nanodet_options() {
  models::DetectorOptions options;
  options.model_json = (test::source_dir() / "models/nanodet.json").string();
  REQUIRE_MESSAGE(std::filesystem::exists(options.model_json), "run scripts/setup");
  return options;
}

std::string describe(const Detection& d) {
  std::ostringstream s;
  s << d.label << " " << d.score << " [" << d.box.x << ", " << d.box.y << ", " << d.box.w << ", "
    << d.box.h << "]";
  return s.str();
}

}  // namespace

TEST_CASE("nanodet finds the pedestrians of vtest.avi frame 100") {
  std::vector<uint8_t> rgb =
      test::decode_picture("data/vtest.avi", 768, 576, "trim=start_frame=100,").rgb;
  auto detector = models::make_detector(nanodet_options());
  CHECK(detector->model_name() == "nanodet");
  std::vector<Detection> found = detector->detect({{rgb.data(), 768, 576}}).at(0);
  for (const Detection& d : found) MESSAGE(describe(d));
  // Marked by eye on the 768x576 frame (8x zoom), tight around each body, arms and feet
  // included: the clearly visible people. Each must be matched by a person box with IoU of
  // at least `bar`.
  struct Marked {
    Rect box;
    float bar;
  };
  std::vector<Marked> marked = {
      {{349, 200, 35, 74}, 0.8f},  // walking, in black, left of the lamp post (IoU 0.85)
      {{375, 178, 36, 78}, 0.8f},  // standing, arms out, jeans (0.95)
      {{493, 148, 26, 72}, 0.8f},  // red and blue jacket, carrying a bag (0.86)
      // Walking alone on the right. nanodet's box is 3.5 px wider on the left than the body
      // (2 px of its 416 input), which costs IoU 0.78 on a 26 px wide person.
      {{591, 155.5f, 26, 78}, 0.75f},
  };
  for (const Marked& m : marked) {
    float best = 0;
    for (const Detection& d : found)
      if (d.label == "person") best = std::max(best, models::iou(d.box, m.box));
    INFO("marked [" << m.box.x << ", " << m.box.y << ", " << m.box.w << ", " << m.box.h << "]");
    CHECK(best >= m.bar);
  }
  for (const Detection& d : found) {
    CHECK(d.class_id >= 0);
    CHECK(d.class_id < 80);
    CHECK(d.label == models::coco_labels().at(d.class_id));
    CHECK(d.score >= 0.3f);
    CHECK(d.score <= 1.f);
  }
}

TEST_CASE("nanodet: a batch of 8 copies gives the single frame's detections") {
  std::vector<uint8_t> rgb =
      test::decode_picture("data/vtest.avi", 768, 576, "trim=start_frame=100,").rgb;
  auto detector = models::make_detector(nanodet_options());
  models::ImageView frame{rgb.data(), 768, 576};
  std::vector<Detection> one = detector->detect({frame}).at(0);
  REQUIRE(!one.empty());
  std::vector<std::vector<Detection>> eight = detector->detect(std::vector(8, frame));
  REQUIRE(eight.size() == 8);
  for (const auto& got : eight) {
    REQUIRE(got.size() == one.size());
    for (size_t i = 0; i < one.size(); ++i) {
      CHECK(got[i].label == one[i].label);
      CHECK(got[i].score == doctest::Approx(one[i].score).epsilon(1e-4));
      CHECK(models::iou(got[i].box, one[i].box) > 0.999f);
    }
  }
}

TEST_CASE("nanodet: class filter, and options it cannot honour are spec errors") {
  std::vector<uint8_t> rgb =
      test::decode_picture("data/vtest.avi", 768, 576, "trim=start_frame=100,").rgb;
  models::DetectorOptions options = nanodet_options();
  options.classes = {"car"};
  std::vector<Detection> cars = models::make_detector(options)->detect({{rgb.data(), 768, 576}})[0];
  CHECK(!cars.empty());  // the small car at the right edge, behind the van
  for (const Detection& d : cars) CHECK(d.label == "car");

  auto spec_error = [](const models::DetectorOptions& o) {
    try {
      models::make_detector(o);
    } catch (const Error& e) {
      CHECK(e.code() == ExitCode::bad_spec);
      CHECK(std::string(e.what()).find(o.model_json) != std::string::npos);
      return true;
    }
    return false;
  };
  options.classes = {"person", "unicorn"};
  CHECK(spec_error(options));
  options = nanodet_options();
  options.input_size = 320;
  CHECK(spec_error(options));
  options = nanodet_options();
  options.device = "tpu";
  CHECK(spec_error(options));
  options = nanodet_options();
  options.model_json = (test::source_dir() / "models/mobilefacenet.json").string();
  CHECK(spec_error(options));
  options.model_json = "/nonexistent/nanodet.json";
  CHECK(spec_error(options));
}

TEST_CASE("coco labels") {
  const auto& labels = models::coco_labels();
  REQUIRE(labels.size() == 80);
  CHECK(labels[0] == "person");
  CHECK(labels[2] == "car");
  CHECK(labels[9] == "traffic light");
  CHECK(labels[79] == "toothbrush");
}
