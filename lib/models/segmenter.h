// Person segmentation (selfie model): a mask of the source image's size, 0..1 per pixel.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/image.h"

namespace llama::models {

struct Mask {
  int width = 0;
  int height = 0;
  std::vector<float> values;  // [height, width], 1 = person
};

class Segmenter {
 public:
  Segmenter(const std::string& model_json, const std::string& device);
  ~Segmenter();
  std::vector<Mask> segment(const std::vector<ImageView>& images);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace llama::models
