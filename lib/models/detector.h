// Object and face detectors: real pretrained networks (TFJS graph models) with their
// pre- and post-processing. Boxes come back in source-image pixels.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "models/image.h"

namespace llama::models {

struct Detection {
  Rect box;                                     // source-image pixels
  int class_id = 0;                             // COCO id for nanodet (0 = person); 0 for faces
  std::string label;                            // "person", "car", ..., or "face"
  float score = 0;                              // 0..1
  std::vector<std::array<float, 2>> keypoints;  // blazeface: 6 (eyes, nose, mouth, ears), pixels
};

struct DetectorOptions {
  std::string model_json;      // path to the TFJS model.json
  std::string device = "cpu";  // "cpu" or "cuda"
  float min_score = 0.3f;
  float iou = 0.45f;  // NMS threshold
  int max_detections = 100;
  std::vector<std::string> classes;  // keep only these labels; empty keeps all
  int input_size = 0;                // 0: the model's own (nanodet 416, blazeface 256/128)
};

class Detector {
 public:
  virtual ~Detector() = default;
  // One list per image, in input order. Thread-compatible: one call at a time per instance.
  virtual std::vector<std::vector<Detection>> detect(const std::vector<ImageView>& images) = 0;
  virtual std::string model_name() const = 0;
};

// Family chosen from the model file name (nanodet*, blazeface*); throws Error(bad_spec)
// naming the file for anything else or for a model that fails to load.
std::unique_ptr<Detector> make_detector(const DetectorOptions& options);

// The 80 COCO labels nanodet predicts, in class-id order.
const std::vector<std::string>& coco_labels();

// Greedy non-maximum suppression per class: indices of the kept detections, best first.
std::vector<size_t> non_max_suppression(const std::vector<Detection>& detections,
                                        float iou_threshold, int max_kept);

// What a detector returns for one image: the best 1000 candidates, then NMS, best first.
std::vector<Detection> keep_best(std::vector<Detection> candidates, float iou_threshold,
                                 int max_kept);

}  // namespace llama::models
