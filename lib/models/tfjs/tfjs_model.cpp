#include "models/tfjs/tfjs_model.h"

#include "base/error.h"
#include "models/device.h"
#include "models/tfjs/tfjs_ops.h"

namespace llama::models::tfjs {

TfjsModel::TfjsModel(const std::string& model_json_path)
    : graph_(load_tfjs_graph(model_json_path)) {
  last_use_.assign(graph_.nodes.size(), -1);
  for (size_t i = 0; i < graph_.nodes.size(); ++i)
    for (const NodeInput& in : graph_.nodes[i].inputs) last_use_[in.node] = static_cast<int>(i);
  for (const NodeInput& out : graph_.outputs)
    last_use_[out.node] = static_cast<int>(graph_.nodes.size());
}

void TfjsModel::to(const torch::Device& device) {
  if (device.is_cuda()) use_exact_float32_on_cuda();
  for (auto& [name, w] : graph_.weights) w = w.to(device);
}

size_t TfjsModel::op_count() const {
  size_t n = 0;
  for (const Node& node : graph_.nodes)
    n += node.op != "Const" && node.op != "Placeholder" && node.op != "Identity";
  return n;
}

int64_t TfjsModel::parameter_count() const {
  int64_t n = 0;
  for (const auto& [name, w] : graph_.weights)
    if (w.is_floating_point()) n += w.numel();
  return n;
}

std::vector<torch::Tensor> TfjsModel::run(const std::vector<torch::Tensor>& inputs) const {
  if (inputs.size() != graph_.input_nodes.size())
    throw Error(ExitCode::runtime, "model " + graph_.name + ": takes " +
                                       std::to_string(graph_.input_nodes.size()) + " inputs, got " +
                                       std::to_string(inputs.size()));
  torch::NoGradGuard no_grad;
  std::vector<std::vector<torch::Tensor>> values(graph_.nodes.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& shape = graph_.input_shapes[i];
    const torch::Tensor& x = inputs[i];
    bool fits = shape.empty() || static_cast<int64_t>(shape.size()) == x.dim();
    for (size_t d = 1; fits && d < shape.size(); ++d)
      fits = shape[d] < 0 || shape[d] == x.size(static_cast<int64_t>(d));
    bool dtype_ok = (graph_.input_dtypes[i] == "int32") == (x.scalar_type() == torch::kInt32);
    if (!fits || !dtype_ok) {
      std::string want;
      for (int64_t d : shape)
        want += (want.empty() ? "" : "x") + (d < 0 ? std::string("N") : std::to_string(d));
      throw Error(ExitCode::runtime, "model " + graph_.name + ": input '" + graph_.input_names[i] +
                                         "' wants " + graph_.input_dtypes[i] + " [" + want +
                                         "], got " + std::string(c10::toString(x.scalar_type())) +
                                         " " + c10::str(x.sizes()));
    }
    values[graph_.input_nodes[i]] = {x};
  }
  for (size_t i = 0; i < graph_.nodes.size(); ++i) {
    const Node& node = graph_.nodes[i];
    if (node.op == "Placeholder") continue;
    if (node.op == "Const") {
      values[i] = {graph_.weights.at(node.name)};
      continue;
    }
    std::vector<torch::Tensor> args;
    for (const NodeInput& in : node.inputs) args.push_back(values[in.node].at(in.output));
    try {
      values[i] = run_node(node, args);
    } catch (const c10::Error& e) {
      throw Error(ExitCode::runtime, "model " + graph_.name + ": node '" + node.name + "' (" +
                                         node.op + ") failed: " + e.what_without_backtrace());
    }
    for (const NodeInput& in : node.inputs)  // free what nobody reads any more
      if (last_use_[in.node] == static_cast<int>(i) && graph_.nodes[in.node].op != "Const")
        values[in.node].clear();
  }
  std::vector<torch::Tensor> outputs;
  for (const NodeInput& out : graph_.outputs) outputs.push_back(values[out.node].at(out.output));
  // Some graphs write batch 1 into constants (movenet's ArgMax/GatherNd indices) and quietly
  // answer a batch of N with one row; a wrong answer must not look like a right one.
  int64_t batch = inputs.empty() || inputs[0].dim() == 0 ? 1 : inputs[0].size(0);
  for (size_t i = 0; i < outputs.size() && batch > 1; ++i)
    if (outputs[i].dim() > 0 && outputs[i].size(0) != batch)
      throw Error(ExitCode::runtime, "model " + graph_.name + ": output '" +
                                         graph_.nodes[graph_.outputs[i].node].name + "' has " +
                                         std::to_string(outputs[i].size(0)) +
                                         " rows for a batch of " + std::to_string(batch) +
                                         " (the graph fixes its batch size: run one image " +
                                         "at a time)");
  return outputs;
}

}  // namespace llama::models::tfjs
