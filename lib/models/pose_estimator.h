// Single-person body pose (movenet-lightning: 17 COCO keypoints) for whole images or regions.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "models/image.h"

namespace llama::models {

struct Keypoint {
  std::string name;  // "nose", "left_eye", ... (COCO order)
  float x = 0;       // source-image pixels
  float y = 0;
  float score = 0;
};

class PoseEstimator {
 public:
  PoseEstimator(const std::string& model_json, const std::string& device);
  ~PoseEstimator();
  // One pose (17 keypoints) per region; an empty region list means the whole images.
  // regions: one per image, or any number for a single image. One run per pose: the
  // graph hard-codes batch 1 (a batch of N silently returns the first image's pose).
  std::vector<std::vector<Keypoint>> estimate(const std::vector<ImageView>& images,
                                              const std::vector<Rect>& regions = {});

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace llama::models
