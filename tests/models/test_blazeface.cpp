// BlazeFace on real images: Messi's face in messi5.jpg (marked by eye) with its keypoints,
// the face of a Megamind frame; the front-camera graph runs at its own size.
#include "base/error.h"
#include "models/detector.h"
#include "picture.h"

using namespace llama;
using models::Detection;
using models::Rect;

namespace {

models::DetectorOptions face_options(const std::string& model) {
  models::DetectorOptions options;
  options.model_json = (test::source_dir() / "models" / (model + ".json")).string();
  REQUIRE_MESSAGE(std::filesystem::exists(options.model_json), "run scripts/setup");
  return options;
}

bool inside(const std::array<float, 2>& p, const Rect& r) {
  return p[0] >= r.x && p[0] <= r.x + r.w && p[1] >= r.y && p[1] <= r.y + r.h;
}

}  // namespace

TEST_CASE("blazeface-back finds Messi's face and its keypoints in messi5.jpg") {
  std::vector<uint8_t> rgb = test::decode_picture("data/messi5.jpg", 548, 342).rgb;
  auto detector = models::make_detector(face_options("blazeface-back"));
  CHECK(detector->model_name() == "blazeface-back");
  std::vector<Detection> faces = detector->detect({{rgb.data(), 548, 342}}).at(0);
  for (const Detection& d : faces)
    MESSAGE("face " << d.score << " [" << d.box.x << ", " << d.box.y << ", " << d.box.w << ", "
                    << d.box.h << "]");
  REQUIRE(!faces.empty());
  // Marked by eye on the 548x342 image: eyebrows to chin, cheek to cheek.
  Rect marked{219, 95, 38, 37};
  const Detection& best = faces[0];
  CHECK(models::iou(best.box, marked) >= 0.8f);
  CHECK(best.label == "face");
  CHECK(best.class_id == 0);
  REQUIRE(best.keypoints.size() == 6);
  for (int k = 0; k < 4; ++k) {  // eyes, nose, mouth; the ears may lie on the box's edge
    INFO("keypoint " << k << ": " << best.keypoints[k][0] << ", " << best.keypoints[k][1]);
    CHECK(inside(best.keypoints[k], best.box));
  }
  // The eyes are above the mouth.
  CHECK(best.keypoints[0][1] < best.keypoints[3][1]);
  CHECK(best.keypoints[1][1] < best.keypoints[3][1]);
}

TEST_CASE("blazeface-back finds the face in Megamind.avi frame 90") {
  std::vector<uint8_t> rgb =
      test::decode_picture("data/Megamind.avi", 720, 528, "trim=start_frame=90,").rgb;
  auto detector = models::make_detector(face_options("blazeface-back"));
  std::vector<Detection> faces = detector->detect({{rgb.data(), 720, 528}}).at(0);
  for (const Detection& d : faces)
    MESSAGE("face " << d.score << " [" << d.box.x << ", " << d.box.y << ", " << d.box.w << ", "
                    << d.box.h << "]");
  // Her face, marked by eye (eyebrows to chin, cheek to cheek), is the best detection. The
  // only other one allowed is the blurred man at the table behind her: a face too.
  REQUIRE(!faces.empty());
  CHECK(faces.size() <= 2);
  CHECK(faces[0].score > 0.9f);
  CHECK(models::iou(faces[0].box, Rect{245, 172, 127, 140}) >= 0.8f);
  if (faces.size() == 2)
    CHECK(inside({faces[1].box.x + faces[1].box.w / 2, faces[1].box.y + faces[1].box.h / 2},
                 Rect{455, 150, 90, 110}));
}

TEST_CASE("blazeface: batches, the front graph, and spec errors") {
  std::vector<uint8_t> rgb = test::decode_picture("data/messi5.jpg", 548, 342).rgb;
  models::ImageView image{rgb.data(), 548, 342};
  auto back = models::make_detector(face_options("blazeface-back"));
  std::vector<Detection> one = back->detect({image}).at(0);
  auto four = back->detect(std::vector(4, image));
  REQUIRE(four.size() == 4);
  for (const auto& got : four) {
    REQUIRE(got.size() == one.size());
    for (size_t i = 0; i < one.size(); ++i) CHECK(models::iou(got[i].box, one[i].box) > 0.999f);
  }

  auto front = models::make_detector(face_options("blazeface-front"));
  CHECK(front->model_name() == "blazeface-front");
  CHECK(front->detect({image, image}).size() == 2);

  models::DetectorOptions options = face_options("blazeface-back");
  options.input_size = 128;
  CHECK_THROWS_AS(models::make_detector(options), llama::Error);
  options = face_options("blazeface-back");
  options.classes = {"person"};
  CHECK_THROWS_AS(models::make_detector(options), llama::Error);
  options.classes = {"face"};
  CHECK(models::make_detector(options)->detect({image})[0].size() == one.size());
}
