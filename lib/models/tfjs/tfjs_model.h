// A loaded TFJS graph model that runs on libtorch, on CPU or CUDA tensors.
// Not thread-safe for concurrent run() calls on different devices; run() itself only reads.
#pragma once

#include <string>
#include <vector>

#include <torch/types.h>

#include "models/tfjs/tfjs_graph.h"

namespace llama::models::tfjs {

class TfjsModel {
 public:
  // Throws llama::Error(bad_spec) naming the file (see load_tfjs_graph).
  explicit TfjsModel(const std::string& model_json_path);

  // One tensor per graph input, in input_names() order, already in the model's layout and
  // dtype; batch may exceed the graph's 1. Returns the outputs in output_names() order.
  // Throws llama::Error(runtime) naming the model and node when the input does not fit.
  std::vector<torch::Tensor> run(const std::vector<torch::Tensor>& inputs) const;

  void to(const torch::Device& device);  // moves the weights

  const std::string& name() const { return graph_.name; }
  const std::vector<std::string>& input_names() const { return graph_.input_names; }
  const std::vector<std::string>& output_names() const { return graph_.output_names; }
  const std::vector<std::vector<int64_t>>& input_shapes() const { return graph_.input_shapes; }
  const std::vector<std::string>& input_dtypes() const { return graph_.input_dtypes; }
  size_t op_count() const;          // nodes that compute (not Const, Placeholder or Identity)
  int64_t parameter_count() const;  // elements of the float weights

 private:
  TfjsGraph graph_;
  std::vector<int> last_use_;  // per node: the last node that reads it, so values can be freed
};

}  // namespace llama::models::tfjs
