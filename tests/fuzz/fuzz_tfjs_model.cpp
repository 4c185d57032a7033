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
#include "models/tfjs/tfjs_graph.h"
#include "models/tfjs/tfjs_model.h"

namespace {

namespace fs = std::filesystem;
namespace tfjs = llama::models::tfjs;

constexpr const char* kSeparator = "\n#weights\n";

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "finding: %s\n", what.c_str());
  std::abort();
}

// One folder per process, memory-backed when the machine has /dev/shm; removed at exit.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::error_code ec;
    fs::path base =
        fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
    path = base / ("llama-fuzz-tfjs-" + std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

const fs::path& scratch_dir() {
  static const ScratchDir dir;
  return dir.path;
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) finding("cannot write " + path.string());
}

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
  const fs::path& dir = scratch_dir();
  const fs::path weights = dir / "weights.bin";
  write_file(dir / "model.json", input.substr(0, split));
  std::error_code ec;
  if (split == std::string::npos)
    fs::remove(weights, ec);  // a manifest naming it must then fail as a missing shard
  else
    write_file(weights, input.substr(split + std::char_traits<char>::length(kSeparator)));

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
