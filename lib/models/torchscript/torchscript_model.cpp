// TorchScriptModel: loads a user's TorchScript module and feeds it normalised image batches.
#include "models/torchscript/torchscript_model.h"

#include <filesystem>

#include <torch/script.h>

#include "base/error.h"
#include "models/device.h"

namespace llama::models::torchscript {

namespace {

// c10 messages carry a C++ backtrace after the first line; users need only the reason.
std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

// The TorchScript interpreter's messages open with "The following operation failed..."
// and a TorchScript traceback; the reason ("RuntimeError: ...") is the last line.
std::string last_line(const std::string& s) {
  size_t end = s.find_last_not_of(" \n");
  if (end == std::string::npos) return s;
  size_t newline = s.rfind('\n', end);
  size_t start = newline == std::string::npos ? 0 : newline + 1;
  return s.substr(start, end + 1 - start);
}

void check_spec(const TorchScriptSpec& s) {
  auto bad = [&](const std::string& why) { throw Error(ExitCode::bad_spec, s.path + ": " + why); };
  if (s.input_width <= 0 || s.input_height <= 0)
    bad("input size " + std::to_string(s.input_width) + "x" + std::to_string(s.input_height) +
        " (give a positive input width and height)");
  if (s.layout != "NCHW" && s.layout != "NHWC") bad("layout '" + s.layout + "' (use NCHW or NHWC)");
  if (s.mean.size() != 3 || s.std.size() != 3) bad("mean and std need 3 values each (R, G, B)");
  for (double v : s.std)
    if (v == 0) bad("std has a 0 (it divides the input)");
}

// Exported models often return (output, aux...) or a list of heads; the first tensor,
// depth first, is the model's main output.
bool first_tensor(const c10::IValue& v, torch::Tensor& out) {
  if (v.isTensor()) {
    out = v.toTensor();
    return true;
  }
  if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements())
      if (first_tensor(e, out)) return true;
  } else if (v.isList()) {
    for (const c10::IValue& e : v.toListRef())
      if (first_tensor(e, out)) return true;
  }
  return false;
}

}  // namespace

struct TorchScriptModel::State {
  torch::jit::Module module;
  torch::Device device;
  torch::Tensor mean;  // [3], on device
  torch::Tensor std;
};

TorchScriptModel::TorchScriptModel(const TorchScriptSpec& spec) : spec_(spec) {
  check_spec(spec_);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(spec_.path, ec))
    throw Error(ExitCode::bad_spec, spec_.path + ": no such TorchScript file");
  torch::Device device = parse_device(spec_.device, spec_.path);
  torch::jit::Module module;
  try {
    module = torch::jit::load(spec_.path, device);
  } catch (const c10::Error& e) {
    throw Error(ExitCode::bad_spec, spec_.path + ": not a TorchScript file (" +
                                        first_line(e.what_without_backtrace()) + ")");
  }
  module.eval();
  auto options = torch::dtype(torch::kFloat).device(device);
  state_ = std::make_unique<State>(State{std::move(module), device,
                                         torch::tensor(spec_.mean, torch::kDouble).to(options),
                                         torch::tensor(spec_.std, torch::kDouble).to(options)});
}

TorchScriptModel::~TorchScriptModel() = default;

torch::Tensor TorchScriptModel::run(const std::vector<ImageView>& images,
                                    const std::vector<Rect>& regions) const {
  // NoGradGuard, not InferenceMode: callers may modify the returned tensor in place.
  torch::NoGradGuard no_grad;
  torch::Tensor x = regions.empty()
                        ? resize_batch(images, spec_.input_width, spec_.input_height, 1.0 / 255.0,
                                       0.0, state_->device)
                        : crop_resize_batch(images, regions, spec_.input_width, spec_.input_height,
                                            1.0 / 255.0, 0.0, state_->device);
  x = (x - state_->mean) / state_->std;  // broadcasts over the trailing channel axis
  if (spec_.layout == "NCHW") x = x.permute({0, 3, 1, 2});
  x = x.contiguous();
  c10::IValue result;
  try {
    result = state_->module.forward({x});
  } catch (const std::exception& e) {
    std::string what = e.what();
    if (auto* c10e = dynamic_cast<const c10::Error*>(&e)) what = c10e->what_without_backtrace();
    throw Error(ExitCode::runtime, spec_.path + ": forward failed on input " + c10::str(x.sizes()) +
                                       ": " + last_line(what));
  }
  torch::Tensor out;
  if (!first_tensor(result, out))
    throw Error(ExitCode::runtime,
                spec_.path + ": forward returned " + result.tagKind() + ", not a tensor");
  return out;
}

}  // namespace llama::models::torchscript
