// A TFJS graph model (model.json + weight shards) as plain data: nodes with resolved inputs,
// attributes and the constant tensors, checked and in topological order. Running it is
// graph_model.h's job; this file only reads and checks.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <torch/types.h>
#include <nlohmann/json.hpp>

namespace llama::models::tfjs {

struct NodeInput {
  int node = -1;   // index into TfjsGraph::nodes
  int output = 0;  // which output of that node ("name:1" -> 1)
};

struct Node {
  std::string name;
  std::string op;
  std::vector<NodeInput> inputs;  // data inputs only; control inputs ("^x") are dropped
  nlohmann::ordered_json attr;  // as in model.json (ordered: the signature's order is the outputs'
                                // order): {"strides": {"list": {"i": [...]}}, ...}
};

struct TfjsGraph {
  std::string name;                              // the model's file stem, for messages
  std::vector<Node> nodes;                       // topological order
  std::map<std::string, torch::Tensor> weights;  // Const nodes' values, float32 or int32
  std::vector<int> input_nodes;                  // Placeholders, in signature order when given
  std::vector<NodeInput> outputs;                // in signature order when given
  std::vector<std::string> input_names;
  std::vector<std::string> output_names;
  std::vector<std::vector<int64_t>> input_shapes;  // from the signature; -1 where unknown
  std::vector<std::string> input_dtypes;           // "float32" or "int32"
};

// Reads and checks model.json and its shards. Throws llama::Error(bad_spec) naming the model
// file for: a missing file, a truncated shard, a manifest that disagrees with the shard
// sizes, a node input that does not exist, and an op the runtime does not support.
TfjsGraph load_tfjs_graph(const std::string& model_json_path);

// The ops the runtime implements; anything else is refused at load.
bool is_supported_op(const std::string& op);

// Attribute helpers: TFJS writes list ints as strings and string attrs as base64.
int64_t attr_int(const Node& node, const std::string& name, int64_t fallback);
double attr_float(const Node& node, const std::string& name, double fallback);
bool attr_bool(const Node& node, const std::string& name, bool fallback);
std::string attr_string(const Node& node, const std::string& name, const std::string& fallback);
std::vector<int64_t> attr_ints(const Node& node, const std::string& name);
std::vector<std::string> attr_strings(const Node& node, const std::string& name);
std::string attr_type(const Node& node, const std::string& name);  // "DT_FLOAT", ...

}  // namespace llama::models::tfjs
