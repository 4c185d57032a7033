#include "models/model_info.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include <ATen/Parallel.h>
#include <torch/script.h>

#include "base/error.h"
#include "models/tfjs/tfjs_model.h"

namespace llama::models {

namespace {

std::vector<torch::Tensor> zero_inputs(const tfjs::TfjsModel& model, int batch) {
  std::vector<torch::Tensor> inputs;
  for (size_t i = 0; i < model.input_shapes().size(); ++i) {
    std::vector<int64_t> shape = model.input_shapes()[i];
    for (int64_t& d : shape) d = d < 0 ? 1 : d;
    if (!shape.empty()) shape[0] = batch;
    auto type = model.input_dtypes()[i] == "int32" ? torch::kInt32 : torch::kFloat;
    inputs.push_back(torch::zeros(shape, type));
  }
  return inputs;
}

}  // namespace

namespace {

ModelInfo describe_torchscript(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(ExitCode::bad_spec, path + ": no such model file (scripts/setup fetches ours)");
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, torch::kCPU);
  } catch (const c10::Error&) {
    throw Error(ExitCode::bad_spec, path + ": not a TorchScript file (a model path not ending in " +
                                        ".json must be one)");
  }
  ModelInfo info;
  info.path = path;
  info.name = std::filesystem::path(path).stem().string();
  info.format = "torchscript";
  for (const torch::Tensor& p : module.parameters()) info.parameter_count += p.numel();
  for (const torch::jit::Node* node : module.get_method("forward").graph()->nodes()) {
    (void)node;
    ++info.op_count;
  }
  return info;
}

}  // namespace

ModelInfo describe_model(const std::string& path) {
  const std::string ext = ".json";
  if (path.size() < ext.size() || path.compare(path.size() - ext.size(), ext.size(), ext) != 0)
    return describe_torchscript(path);
  tfjs::TfjsModel model(path);
  ModelInfo info;
  info.path = path;
  info.name = model.name();
  info.format = "tfjs";
  for (size_t i = 0; i < model.input_names().size(); ++i)
    info.inputs.push_back(
        {model.input_names()[i], model.input_shapes()[i], model.input_dtypes()[i]});
  std::vector<torch::Tensor> outputs = model.run(zero_inputs(model, 1));
  for (size_t i = 0; i < outputs.size(); ++i)
    info.outputs.push_back({model.output_names()[i], outputs[i].sizes().vec(),
                            outputs[i].is_floating_point() ? "float32" : "int32"});
  info.op_count = model.op_count();
  info.parameter_count = model.parameter_count();
  return info;
}

BenchResult bench_model(const std::string& model_json, int threads, int batch, int runs) {
  tfjs::TfjsModel model(model_json);
  at::set_num_threads(threads);
  std::vector<torch::Tensor> inputs = zero_inputs(model, batch);
  model.run(inputs);  // warm-up: first runs allocate and pick kernels
  std::vector<double> ms;
  for (int r = 0; r < std::max(1, runs); ++r) {
    auto t0 = std::chrono::steady_clock::now();
    model.run(inputs);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
        batch);
  }
  std::sort(ms.begin(), ms.end());
  return {threads, batch, ms[ms.size() / 2], ms.front(), ms.back()};
}

}  // namespace llama::models
