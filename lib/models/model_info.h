// What `llama models` shows about a model file (TFJS or TorchScript), and its measured speed. No
// torch in this header: the CLI reads it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace llama::models {

struct TensorInfo {
  std::string name;
  std::vector<int64_t> shape;  // -1 where the model leaves it open (batch)
  std::string dtype;
};

struct ModelInfo {
  std::string path;
  std::string name;
  std::string format;  // "tfjs" or "torchscript" (whose inputs only the pipeline declares)
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;  // shapes from one run on zeros at batch 1
  size_t op_count = 0;
  int64_t parameter_count = 0;
};

// A path ending in .json is a TFJS graph model, anything else a TorchScript file.
ModelInfo describe_model(const std::string& path);  // throws Error(bad_spec)

struct BenchResult {
  int threads = 1;
  int batch = 1;
  double ms_per_frame = 0;  // median over the runs, divided by the batch
  double ms_min = 0;        // fastest run, per frame
  double ms_max = 0;        // slowest run, per frame
};

// Runs a TFJS model on zeros of its input shape: one warm-up, then `runs` timed runs.
BenchResult bench_model(const std::string& model_json, int threads, int batch, int runs);

}  // namespace llama::models
