// A user's own PyTorch model, exported with torch.jit.script/trace and saved as a
// TorchScript file: images in, the module's output tensor out.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "models/image.h"

namespace llama::models::torchscript {

struct TorchScriptSpec {
  std::string path;  // the .pt file written by torch.jit.save
  int input_width = 0;
  int input_height = 0;
  std::string layout = "NCHW";           // or "NHWC"
  std::vector<double> mean = {0, 0, 0};  // per RGB channel, applied to pixel / 255
  std::vector<double> std = {1, 1, 1};
  std::string output = "tensor";  // how callers read the output; the model returns it raw
  std::string device = "cpu";     // "cpu" or "cuda"
};

class TorchScriptModel {
 public:
  // Throws llama::Error(bad_spec) naming the file when it is missing or not TorchScript,
  // and for a spec that cannot work (size, layout, mean/std).
  explicit TorchScriptModel(const TorchScriptSpec& spec);
  ~TorchScriptModel();

  // The batch resized (bilinear) to the input size, (pixel / 255 - mean) / std, in the
  // spec's layout, through forward(). With `regions` (one per image), each image's region
  // is cropped first, as crop_resize_batch does. A tuple or list output gives its first
  // tensor. Throws llama::Error(runtime) naming the file when forward fails.
  torch::Tensor run(const std::vector<ImageView>& images,
                    const std::vector<Rect>& regions = {}) const;

  const TorchScriptSpec& spec() const { return spec_; }

 private:
  struct State;
  TorchScriptSpec spec_;
  std::unique_ptr<State> state_;
};

}  // namespace llama::models::torchscript
