// The detector factory (family from the model file name), the COCO label list, and the
// checks every family shares: the model file exists, the device is usable.
#include "models/detector.h"

#include <filesystem>

#include "base/error.h"
#include "models/device.h"

namespace llama::models {

// Defined by each family's file (nanodet.cpp, blazeface.cpp); only the factory calls them.
namespace detail {
std::unique_ptr<Detector> make_nanodet_detector(const DetectorOptions& options,
                                                const torch::Device& device);
std::unique_ptr<Detector> make_blazeface_detector(const DetectorOptions& options,
                                                  const torch::Device& device);
}  // namespace detail

namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::unique_ptr<Detector> make_detector(const DetectorOptions& options) {
  const std::string& file = options.model_json;
  std::string stem = std::filesystem::path(file).stem().string();
  bool nanodet = starts_with(stem, "nanodet");
  bool blazeface = starts_with(stem, "blazeface");
  if (!nanodet && !blazeface)
    throw Error(ExitCode::bad_spec, file +
                                        ": no detector family for this model (the file name "
                                        "must start with nanodet or blazeface)");
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error))
    throw Error(ExitCode::bad_spec, file + ": model file not found (scripts/setup fetches it)");
  torch::Device device = parse_device(options.device, options.model_json);
  try {
    return nanodet ? detail::make_nanodet_detector(options, device)
                   : detail::make_blazeface_detector(options, device);
  } catch (const c10::Error& e) {
    // Torch failures while loading (weights that do not fit, device errors) are the model's.
    throw Error(ExitCode::bad_spec, file + ": cannot load: " + e.what_without_backtrace());
  }
}

const std::vector<std::string>& coco_labels() {
  // clang-format off
  static const std::vector<std::string> labels = {
      "person", "bicycle", "car", "motorcycle", "airplane",  // 0
      "bus", "train", "truck", "boat", "traffic light",  // 5
      "fire hydrant", "stop sign", "parking meter", "bench", "bird",  // 10
      "cat", "dog", "horse", "sheep", "cow",  // 15
      "elephant", "bear", "zebra", "giraffe", "backpack",  // 20
      "umbrella", "handbag", "tie", "suitcase", "frisbee",  // 25
      "skis", "snowboard", "sports ball", "kite", "baseball bat",  // 30
      "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",  // 35
      "wine glass", "cup", "fork", "knife", "spoon",  // 40
      "bowl", "banana", "apple", "sandwich", "orange",  // 45
      "broccoli", "carrot", "hot dog", "pizza", "donut",  // 50
      "cake", "chair", "couch", "potted plant", "bed",  // 55
      "dining table", "toilet", "tv", "laptop", "mouse",  // 60
      "remote", "keyboard", "cell phone", "microwave", "oven",  // 65
      "toaster", "sink", "refrigerator", "book", "clock",  // 70
      "vase", "scissors", "teddy bear", "hair drier", "toothbrush",  // 75
  };
  // clang-format on
  return labels;
}

}  // namespace llama::models
