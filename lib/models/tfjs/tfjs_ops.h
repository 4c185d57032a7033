// TF op semantics on libtorch tensors. Tensors keep TF's layout (NHWC); convolutions and
// pools run on permuted views, which torch handles as channels-last without copying.
#pragma once

#include <vector>

#include <torch/types.h>

#include "models/tfjs/tfjs_graph.h"

namespace llama::models::tfjs {

// Runs one node on its input values; returns its outputs (most ops have one).
std::vector<torch::Tensor> run_node(const Node& node, const std::vector<torch::Tensor>& inputs);

}  // namespace llama::models::tfjs
