#include "models/tfjs/tfjs_graph.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>

#include "base/error.h"

namespace llama::models::tfjs {

namespace {

namespace fs = std::filesystem;

const std::set<std::string> kSupportedOps = {"Const",
                                             "Placeholder",
                                             "Identity",
                                             "_FusedConv2D",
                                             "Conv2D",
                                             "DepthwiseConv2dNative",
                                             "FusedDepthwiseConv2dNative",
                                             "Conv2DBackpropInput",
                                             "MaxPool",
                                             "AvgPool",
                                             "Pad",
                                             "PadV2",
                                             "Add",
                                             "AddV2",
                                             "AddN",
                                             "Sub",
                                             "Mul",
                                             "RealDiv",
                                             "Maximum",
                                             "SquaredDifference",
                                             "Relu",
                                             "Relu6",
                                             "LeakyRelu",
                                             "Sigmoid",
                                             "Abs",
                                             "Sqrt",
                                             "Rsqrt",
                                             "Square",
                                             "Sum",
                                             "Mean",
                                             "ConcatV2",
                                             "SplitV",
                                             "Reshape",
                                             "Transpose",
                                             "ResizeBilinear",
                                             "Cast",
                                             "ExpandDims",
                                             "Squeeze",
                                             "Pack",
                                             "Unpack",
                                             "ArgMax",
                                             "FloorDiv",
                                             "FloorMod",
                                             "GatherV2",
                                             "GatherNd",
                                             "StridedSlice",
                                             "SparseToDense"};

[[noreturn]] void fail(const std::string& file, const std::string& what) {
  throw Error(ExitCode::bad_spec, file + ": " + what);
}

std::string base64_decode(const std::string& in) {
  static const std::string chars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  // Unsigned: the accumulator keeps shifting left past 32 bits on any string of 6 or more
  // characters (every real padding or data_format attribute); only its low 14 bits are ever
  // read, but a signed overflow is undefined behaviour.
  uint32_t value = 0;
  int bits = -8;
  for (char c : in) {
    size_t pos = chars.find(c);
    if (pos == std::string::npos) break;  // '=' padding ends the data
    value = (value << 6) + static_cast<uint32_t>(pos);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((value >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

// An integer of model.json. nlohmann's get<int64_t>() casts a float as it is, which is
// undefined behaviour past int64's range (`"shape": [1e300]`); only integers are taken.
int64_t json_int64(const nlohmann::ordered_json& v) {
  if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > INT64_MAX))
    throw nlohmann::ordered_json::type_error::create(
        302, "expected an integer of 64 bits, got " + v.dump(), &v);
  return v.get<int64_t>();
}

std::vector<int64_t> weight_shape(const nlohmann::ordered_json& spec) {
  std::vector<int64_t> shape;
  if (spec.contains("shape"))
    for (const auto& d : spec.at("shape")) shape.push_back(json_int64(d));
  return shape;
}

// A negative dimension or a count past kMaxElements wraps the size_t arithmetic of the shard
// size check in load_weights: it then passes for bytes the shard does not hold, and torch is
// asked for a tensor of a size that disagrees with them (c10::Error, or a read past the end).
constexpr size_t kMaxElements = size_t{1} << 40;  // 4 TiB of float32; no model comes close

size_t element_count(const std::vector<int64_t>& shape, const std::string& file,
                     const std::string& weight) {
  size_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d > 0 && n > kMaxElements / static_cast<size_t>(d)))
      fail(file, "weight '" + weight + "' has a negative or impossibly large shape");
    n *= static_cast<size_t>(d);
  }
  return n;
}

size_t dtype_bytes(const std::string& dtype) {
  if (dtype == "float32" || dtype == "int32") return 4;
  if (dtype == "float16" || dtype == "uint16") return 2;
  if (dtype == "uint8" || dtype == "bool") return 1;
  return 0;
}

std::string read_file(const fs::path& path, const std::string& model_file) {
  // A manifest may name any path: /dev/zero would be read until memory runs out, and opening
  // a FIFO blocks, so only regular files are opened.
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_regular_file(path, ec))
    fail(model_file, "cannot read " + path.string() + ": not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail(model_file, "cannot read " + path.string() + " (run scripts/setup to fetch models)");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// One weight from its bytes: dequantised to float32 where the manifest says it is quantised.
torch::Tensor decode_weight(const nlohmann::ordered_json& spec, const char* data,
                            const std::string& file) {
  std::vector<int64_t> shape = weight_shape(spec);
  std::string dtype = spec.value("dtype", "float32");
  int64_t n = static_cast<int64_t>(element_count(shape, file, spec.value("name", "")));
  auto copy = [&](torch::ScalarType type) {
    return torch::from_blob(const_cast<char*>(data), {n}, type).clone().reshape(shape);
  };
  if (spec.contains("quantization")) {
    const auto& q = spec["quantization"];
    std::string qtype = q.value("dtype", "");
    torch::Tensor v;
    if (qtype == "float16") return copy(torch::kHalf).to(torch::kFloat);
    if (qtype == "uint8")
      v = copy(torch::kUInt8).to(torch::kFloat);
    else if (qtype == "uint16")
      v = copy(torch::kInt16).to(torch::kInt32).bitwise_and(0xFFFF).to(torch::kFloat);
    else
      fail(file, "weight '" + spec.value("name", "") + "' has unknown quantization " + qtype);
    torch::Tensor out = v * q.value("scale", 1.0) + q.value("min", 0.0);
    return dtype == "int32" ? out.round().to(torch::kInt32) : out;
  }
  if (dtype == "float32") return copy(torch::kFloat);
  if (dtype == "int32") return copy(torch::kInt32);
  if (dtype == "bool") return copy(torch::kBool);
  fail(file, "weight '" + spec.value("name", "") + "' has unsupported dtype " + dtype);
}

void load_weights(const nlohmann::ordered_json& manifest, const fs::path& dir,
                  const std::string& file, TfjsGraph& graph) {
  for (const auto& group : manifest) {
    std::string bytes;
    for (const auto& path : group.at("paths"))
      bytes += read_file(dir / path.get<std::string>(), file);
    size_t offset = 0;
    for (const auto& spec : group.at("weights")) {
      std::string dtype = spec.value("dtype", "float32");
      if (spec.contains("quantization")) dtype = spec["quantization"].value("dtype", dtype);
      size_t size =
          element_count(weight_shape(spec), file, spec.value("name", "")) * dtype_bytes(dtype);
      if (offset + size > bytes.size())
        fail(file, "weight shards are too short: '" + spec.value("name", "") + "' needs bytes " +
                       std::to_string(offset) + ".." + std::to_string(offset + size) +
                       " but the shards hold " + std::to_string(bytes.size()) +
                       " (truncated download? rerun scripts/setup)");
      graph.weights[spec.at("name").get<std::string>()] =
          decode_weight(spec, bytes.data() + offset, file);
      offset += size;
    }
    if (offset != bytes.size())
      fail(file, "the manifest describes " + std::to_string(offset) +
                     " bytes but the shards hold " + std::to_string(bytes.size()) +
                     " (model.json and .bin files do not belong together)");
  }
}

// "node:1" -> ("node", 1); "node" -> ("node", 0).
std::pair<std::string, int> split_ref(const std::string& ref) {
  size_t colon = ref.rfind(':');
  if (colon == std::string::npos) return {ref, 0};
  std::string tail = ref.substr(colon + 1);
  if (tail.empty() || tail.find_first_not_of("0123456789") != std::string::npos) return {ref, 0};
  return {ref.substr(0, colon), std::stoi(tail)};
}

}  // namespace

bool is_supported_op(const std::string& op) {
  return kSupportedOps.count(op) > 0;
}

namespace {

TfjsGraph read_graph(const std::string& model_json_path) {
  const std::string& file = model_json_path;
  nlohmann::ordered_json doc;
  try {
    doc = nlohmann::ordered_json::parse(read_file(file, file));
  } catch (const nlohmann::ordered_json::exception& e) {
    fail(file, std::string("is not valid JSON (") + e.what() + ")");
  }
  if (!doc.contains("modelTopology") || !doc["modelTopology"].contains("node"))
    fail(file, "has no modelTopology.node: not a TFJS graph model");

  TfjsGraph graph;
  graph.name = fs::path(file).stem().string();
  const auto& raw_nodes = doc["modelTopology"]["node"];

  std::map<std::string, int> index;
  for (size_t i = 0; i < raw_nodes.size(); ++i)
    index[raw_nodes[i].at("name").get<std::string>()] = static_cast<int>(i);

  // Check every op first, so the user hears about all unsupported ones at once.
  std::string unsupported;
  for (const auto& n : raw_nodes) {
    std::string op = n.at("op").get<std::string>();
    if (!is_supported_op(op))
      unsupported += "\n  node '" + n.at("name").get<std::string>() + "': op " + op;
  }
  if (!unsupported.empty())
    fail(file, "uses ops llama's TFJS runtime does not support:" + unsupported +
                   "\n(export the model without them, or use a TorchScript model)");

  // Kahn's algorithm over the nodes as written.
  std::vector<std::vector<NodeInput>> inputs(raw_nodes.size());
  std::vector<int> pending(raw_nodes.size(), 0);
  std::vector<std::vector<int>> consumers(raw_nodes.size());
  for (size_t i = 0; i < raw_nodes.size(); ++i) {
    for (const auto& in : raw_nodes[i].value("input", nlohmann::ordered_json::array())) {
      std::string ref = in.get<std::string>();
      if (!ref.empty() && ref[0] == '^') continue;  // control dependency: no data
      auto [name, output] = split_ref(ref);
      auto it = index.find(name);
      if (it == index.end())
        fail(file, "node '" + raw_nodes[i]["name"].get<std::string>() + "' reads '" + ref +
                       "', which is not in the graph");
      inputs[i].push_back({it->second, output});
      consumers[it->second].push_back(static_cast<int>(i));
      ++pending[i];
    }
  }
  std::vector<int> order, ready;
  for (size_t i = 0; i < raw_nodes.size(); ++i)
    if (pending[i] == 0) ready.push_back(static_cast<int>(i));
  while (!ready.empty()) {
    int n = ready.back();
    ready.pop_back();
    order.push_back(n);
    for (int c : consumers[n])
      if (--pending[c] == 0) ready.push_back(c);
  }
  if (order.size() != raw_nodes.size()) fail(file, "the graph has a cycle");
  std::vector<int> position(raw_nodes.size());
  for (size_t i = 0; i < order.size(); ++i) position[order[i]] = static_cast<int>(i);
  for (int old : order) {
    Node node;
    node.name = raw_nodes[old]["name"];
    node.op = raw_nodes[old]["op"];
    node.attr = raw_nodes[old].value("attr", nlohmann::ordered_json::object());
    for (NodeInput in : inputs[old]) node.inputs.push_back({position[in.node], in.output});
    graph.nodes.push_back(std::move(node));
  }

  load_weights(doc.value("weightsManifest", nlohmann::ordered_json::array()),
               fs::path(file).parent_path(), file, graph);
  for (const Node& n : graph.nodes)
    if (n.op == "Const" && !graph.weights.count(n.name))
      fail(file, "constant '" + n.name + "' has no weights in the manifest");

  // The signature sits at the top level or under userDefinedMetadata.
  nlohmann::ordered_json signature = doc.value("signature", nlohmann::ordered_json::object());
  if (signature.empty() && doc.contains("userDefinedMetadata"))
    signature = doc["userDefinedMetadata"].value("signature", nlohmann::ordered_json::object());

  auto node_of = [&](const std::string& ref) -> std::pair<int, int> {
    auto [name, output] = split_ref(ref);
    auto it = index.find(name);
    if (it == index.end()) return {-1, 0};
    return {position[it->second], output};
  };
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (graph.nodes[i].op != "Placeholder") continue;
    graph.input_nodes.push_back(static_cast<int>(i));
    graph.input_names.push_back(graph.nodes[i].name);
    std::vector<int64_t> shape;
    std::string dtype = "float32";
    const auto& attr = graph.nodes[i].attr;
    if (attr.contains("shape") && attr["shape"].contains("shape"))
      for (const auto& d : attr["shape"]["shape"].value("dim", nlohmann::ordered_json::array()))
        shape.push_back(std::stoll(d.value("size", std::string("-1"))));
    if (attr_type(graph.nodes[i], "dtype") == "DT_INT32") dtype = "int32";
    graph.input_shapes.push_back(shape);
    graph.input_dtypes.push_back(dtype);
  }
  if (signature.contains("outputs")) {
    for (const auto& [key, out] : signature["outputs"].items()) {
      auto [node, output] = node_of(out.value("name", key));
      if (node < 0) continue;  // e.g. mobilefacenet names its output "embeddings", a tensor alias
      graph.outputs.push_back({node, output});
      graph.output_names.push_back(out.value("name", key));
    }
  }
  if (graph.outputs.empty()) {
    // No usable signature: every node nobody reads is an output.
    std::vector<bool> read(graph.nodes.size(), false);
    for (const Node& n : graph.nodes)
      for (const NodeInput& in : n.inputs) read[in.node] = true;
    for (size_t i = 0; i < graph.nodes.size(); ++i)
      if (!read[i] && graph.nodes[i].op != "Const") {
        graph.outputs.push_back({static_cast<int>(i), 0});
        graph.output_names.push_back(graph.nodes[i].name);
      }
  }
  return graph;
}

}  // namespace

TfjsGraph load_tfjs_graph(const std::string& model_json_path) {
  // read_graph takes model.json apart with at(), get<>() and value(), which throw json
  // exceptions on a missing key or a value of another type; std::stoi and std::stoll throw
  // std::logic_error on a number that is not one; torch throws c10::Error on a weight it
  // cannot shape. Each means a malformed model.json: a bad-spec error naming the file.
  try {
    return read_graph(model_json_path);
  } catch (const nlohmann::ordered_json::exception& e) {
    fail(model_json_path, std::string("is not a well-formed TFJS graph model (") + e.what() + ")");
  } catch (const std::logic_error& e) {
    fail(model_json_path, std::string("has a malformed number (") + e.what() + ")");
  } catch (const c10::Error& e) {
    fail(model_json_path,
         std::string("has a weight torch cannot make (") + e.what_without_backtrace() + ")");
  }
}

namespace {

// The attribute helpers run while a model runs (tfjs_ops.cpp), where only c10::Error is
// caught: a malformed attribute in a user's model.json (a list where a number belongs, "i":
// "x") must still end as a bad-spec error naming the node, not as a json or std::stoll
// exception escaping the run.
template <class Read>
auto guarded(const Node& node, const std::string& name, Read read) -> decltype(read()) {
  try {
    return read();
  } catch (const nlohmann::ordered_json::exception& e) {
    throw Error(ExitCode::bad_spec, "node '" + node.name + "' (" + node.op + "): attribute '" +
                                        name + "' is malformed (" + e.what() + ")");
  } catch (const std::logic_error& e) {
    throw Error(ExitCode::bad_spec, "node '" + node.name + "' (" + node.op + "): attribute '" +
                                        name + "' is not a number (" + e.what() + ")");
  }
}

int64_t attr_int_value(const nlohmann::ordered_json& v) {
  return v.is_string() ? std::stoll(v.get<std::string>()) : json_int64(v);
}

}  // namespace

int64_t attr_int(const Node& node, const std::string& name, int64_t fallback) {
  auto it = node.attr.find(name);
  if (it == node.attr.end() || !it->contains("i")) return fallback;
  return guarded(node, name, [&] { return attr_int_value((*it)["i"]); });
}

double attr_float(const Node& node, const std::string& name, double fallback) {
  auto it = node.attr.find(name);
  if (it == node.attr.end() || !it->contains("f")) return fallback;
  return guarded(node, name, [&] { return (*it)["f"].get<double>(); });
}

bool attr_bool(const Node& node, const std::string& name, bool fallback) {
  auto it = node.attr.find(name);
  if (it == node.attr.end() || !it->contains("b")) return fallback;
  return guarded(node, name, [&] { return (*it)["b"].get<bool>(); });
}

std::string attr_string(const Node& node, const std::string& name, const std::string& fallback) {
  auto it = node.attr.find(name);
  if (it == node.attr.end() || !it->contains("s")) return fallback;
  return guarded(node, name, [&] { return base64_decode((*it)["s"].get<std::string>()); });
}

std::vector<int64_t> attr_ints(const Node& node, const std::string& name) {
  std::vector<int64_t> out;
  auto it = node.attr.find(name);
  if (it == node.attr.end() || !it->contains("list")) return out;
  return guarded(node, name, [&] {
    for (const auto& v : (*it)["list"].value("i", nlohmann::ordered_json::array()))
      out.push_back(attr_int_value(v));
    return out;
  });
}

std::vector<std::string> attr_strings(const Node& node, const std::string& name) {
  std::vector<std::string> out;
  auto it = node.attr.find(name);
  if (it == node.attr.end() || !it->contains("list")) return out;
  return guarded(node, name, [&] {
    for (const auto& v : (*it)["list"].value("s", nlohmann::ordered_json::array()))
      out.push_back(base64_decode(v.get<std::string>()));
    return out;
  });
}

std::string attr_type(const Node& node, const std::string& name) {
  auto it = node.attr.find(name);
  if (it == node.attr.end() || !it->contains("type")) return "";
  return guarded(node, name, [&] { return (*it)["type"].get<std::string>(); });
}

}  // namespace llama::models::tfjs
