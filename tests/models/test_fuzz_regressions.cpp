// Model files the fuzz target tests/fuzz/fuzz_tfjs_model.cpp (scripts/fuzz) found to crash
// the TFJS loader or its attribute readers, each written out small. They must now end as
// Error(bad_spec) naming the file or the node, like every other broken model.
#include "torch_doctest.h"  // before anything that includes doctest

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "base/error.h"
#include "error_message.h"
#include "models/tfjs/tfjs_graph.h"
#include "models/tfjs/tfjs_model.h"

namespace fs = std::filesystem;
namespace tfjs = llama::models::tfjs;

namespace {

// model.json (and weights.bin when `weights` is given) in a scratch folder.
struct ModelFiles {
  explicit ModelFiles(const std::string& json, const std::string* weights = nullptr)
      : dir(fs::temp_directory_path() / ("llama-test-fuzz-tfjs-" + std::to_string(::getpid()))) {
    fs::create_directories(dir);
    std::ofstream(dir / "model.json", std::ios::binary) << json;
    if (weights) std::ofstream(dir / "weights.bin", std::ios::binary) << *weights;
  }
  ~ModelFiles() { fs::remove_all(dir); }
  std::string path() const { return (dir / "model.json").string(); }
  fs::path dir;
};

// The message of the Error(bad_spec) that `f` throws.
template <class F>
std::string bad_spec_message(F f) {
  return llama::test::error_message(llama::ExitCode::bad_spec, f);
}

std::string load_error(const std::string& json, const std::string* weights = nullptr) {
  ModelFiles files(json, weights);
  return bad_spec_message([&] { tfjs::TfjsModel model(files.path()); });
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string one_weight(const std::string& shape, const std::string& paths = "[\"weights.bin\"]") {
  return R"({"modelTopology": {"node": [{"name": "k", "op": "Const"}]}, "weightsManifest": [{"paths": )" +
         paths + R"(, "weights": [{"name": "k", "shape": )" + shape +
         R"(, "dtype": "float32"}]}]})";
}

}  // namespace

TEST_CASE("a model.json of the wrong shape is a bad spec naming the file, not a json exception") {
  // fuzz_tfjs_model: a node without "name" threw json out_of_range 403 out of the loader.
  CHECK(contains(load_error(R"({"modelTopology": {"node": [{"op": "Relu"}]}})"),
                 "model.json: is not a well-formed TFJS graph model ("));
  // The same family: a node list that is an object, a manifest of numbers, a signature
  // that is a list, an input reference past int's range (std::stoi's out_of_range).
  for (const char* json :
       {R"({"modelTopology": {"node": {"a": 1}}})", R"({"modelTopology": {"node": []},
           "weightsManifest": [1]})",
        R"({"modelTopology": {"node": [{"name": "a", "op": "Placeholder"}]},
           "userDefinedMetadata": [1]})",
        R"({"modelTopology": {"node": [{"name": "a", "op": "Relu",
           "input": ["a:99999999999999"]}]}})"}) {
    CAPTURE(json);
    CHECK(contains(load_error(json), "model.json: "));
  }
}

TEST_CASE("weight shapes that are negative or too large are refused before any bytes are read") {
  // A shape's element count wrapped in size_t arithmetic, so the shard size check passed and
  // torch threw c10::Error out of the loader (and a float dimension was undefined behaviour).
  const std::string shard(16, '\0');
  CHECK(contains(load_error(one_weight("[4611686018427387905, 4]"), &shard),
                 "weight 'k' has a negative or impossibly large shape"));
  CHECK(contains(load_error(one_weight("[-2, -2]"), &shard), "negative or impossibly large"));
  CHECK(contains(load_error(one_weight("[1e300]"), &shard), "expected an integer of 64 bits"));
  // What fits still loads.
  ModelFiles fine(one_weight("[2, 2]"), &shard);
  CHECK(tfjs::TfjsModel(fine.path()).parameter_count() == 4);
}

TEST_CASE("a manifest naming something other than a file is refused, not read forever") {
  // /dev/zero as a shard made the loader read until it ran out of memory.
  CHECK(contains(load_error(one_weight("[1]", R"(["/dev/zero"])")),
                 "cannot read /dev/zero: not a regular file"));
}

TEST_CASE("malformed attributes are a bad spec naming the node, and base64 has no overflow") {
  ModelFiles files(R"({"modelTopology": {"node": [{"name": "conv", "op": "Placeholder", "attr": {
      "strides": {"list": {"i": ["1", "x"]}}, "big": {"i": 1e300}, "eps": {"f": "s"},
      "flag": {"b": 1}, "pad": {"s": 7}, "kinds": {"list": {"s": [1]}}, "T": {"type": 3},
      "fused": {"list": {"s": ["Qmlhc0FkZA==", "UmVsdQ=="]}}, "padding": {"s": "U0FNRQ=="}}}]}})");
  const tfjs::TfjsGraph graph = tfjs::load_tfjs_graph(files.path());
  const tfjs::Node& node = graph.nodes.at(0);
  CHECK(contains(bad_spec_message([&] { tfjs::attr_ints(node, "strides"); }),
                 "node 'conv' (Placeholder): attribute 'strides' is not a number"));
  CHECK(contains(bad_spec_message([&] { tfjs::attr_int(node, "big", 0); }),
                 "attribute 'big' is malformed"));
  bad_spec_message([&] { tfjs::attr_float(node, "eps", 0); });
  bad_spec_message([&] { tfjs::attr_bool(node, "flag", false); });
  bad_spec_message([&] { tfjs::attr_string(node, "pad", ""); });
  bad_spec_message([&] { tfjs::attr_strings(node, "kinds"); });
  bad_spec_message([&] { tfjs::attr_type(node, "T"); });
  // Strings of 6+ base64 characters shifted a signed int past 32 bits (UBSan: "left shift
  // of 349197137 by 6 places cannot be represented in type 'int'"); every real model has them.
  CHECK(tfjs::attr_strings(node, "fused") == std::vector<std::string>{"BiasAdd", "Relu"});
  CHECK(tfjs::attr_string(node, "padding", "") == "SAME");
}
