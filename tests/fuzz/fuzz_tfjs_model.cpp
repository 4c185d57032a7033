// libFuzzer target: a TFJS graph model (model.json and its weight shard) as a pipeline's
// `models:` entry loads it. The input is model.json, optionally followed by a line
// "#weights" and the bytes of the one shard, written as weights.bin beside it (the seeds'
// manifests name that file). Loading must give a model or llama::Error(bad_spec); so must
// reading the node attributes the runtime reads. Anything else escaping is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "base/error.h"
#include "fuzz_util.h"
#include "models/tfjs/tfjs_graph.h"
#include "models/tfjs/tfjs_model.h"

namespace {

namespace fs = std::filesystem;
using llama::fuzz::finding;
using llama::fuzz::scratch_dir;

namespace tfjs = llama::models::tfjs;

constexpr const char* kSeparator = "\n#weights\n";

// What tfjs_ops.cpp reads of a node when it runs: every attribute through every helper, so
// a value of the wrong type or form shows up here rather than in the middle of a run.
void read_attributes(const tfjs::Node& node) {
  for (const auto& [name, value] : node.attr.items()) {
    (void)value;
    (void)tfjs::attr_int(node, name, 0);
    (void)tfjs::attr_float(node, name, 0.0);
    (void)tfjs::attr_bool(node, name, false);
    (void)tfjs::attr_string(node, name, "");
    (void)tfjs::attr_ints(node, name);
    (void)tfjs::attr_strings(node, name);
    (void)tfjs::attr_type(node, name);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find(kSeparator);
  const fs::path& dir = scratch_dir("llama-fuzz-tfjs");
  const fs::path weights = dir / "weights.bin";
  const std::string json = input.substr(0, split);
  llama::fuzz::write_file(dir / "model.json", json.data(), json.size());
  std::error_code ec;
  if (split == std::string::npos) {
    fs::remove(weights, ec);  // a manifest naming it must then fail as a missing shard
  } else {
    const std::string bin = input.substr(split + std::char_traits<char>::length(kSeparator));
    llama::fuzz::write_file(weights, bin.data(), bin.size());
  }

  try {
    const std::string path = (dir / "model.json").string();
    tfjs::TfjsModel model(path);  // load_tfjs_graph, then the model's own bookkeeping
    (void)model.op_count();
    (void)model.parameter_count();
    if (model.input_names().size() != model.input_shapes().size() ||
        model.input_names().size() != model.input_dtypes().size())
      finding("a loaded model's input names, shapes and dtypes disagree in number");
    for (const tfjs::Node& node : tfjs::load_tfjs_graph(path).nodes) read_attributes(node);
  } catch (const llama::Error& e) {
    if (e.code() != llama::ExitCode::bad_spec)
      finding("llama::Error with exit code " + std::to_string(static_cast<int>(e.code())) +
              ", not bad_spec: " + e.what());
  }
  return 0;
}
