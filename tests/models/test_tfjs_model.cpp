// The TFJS runtime beyond the goldens: batches larger than the graph's 1, and every way a
// model file can be broken.
#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "golden_case.h"
#include "models/tfjs/tfjs_model.h"

using namespace llama;
namespace fs = std::filesystem;

namespace {

fs::path model_path(const std::string& name) {
  return test::source_dir() / "models" / (name + ".json");
}

// A copy of a model's files in a scratch folder, for breaking them.
struct ModelCopy {
  explicit ModelCopy(const std::string& name)
      : dir(fs::temp_directory_path() / ("llama-model-" + std::to_string(::getpid()))),
        json(dir / (name + ".json")),
        bin(dir / (name + ".bin")) {
    fs::create_directories(dir);
    fs::copy_file(model_path(name), json, fs::copy_options::overwrite_existing);
    fs::copy_file(test::source_dir() / "models" / (name + ".bin"), bin,
                  fs::copy_options::overwrite_existing);
  }
  ~ModelCopy() { fs::remove_all(dir); }

  std::string text() const {
    std::ifstream in(json);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void write(const std::string& s) const { std::ofstream(json, std::ios::trunc) << s; }

  fs::path dir, json, bin;
};

std::string load_error(const fs::path& json) {
  try {
    models::tfjs::TfjsModel model(json.string());
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::bad_spec);
    return e.what();
  }
  FAIL("no error loading " << json);
  return "";
}

}  // namespace

TEST_CASE("batch-8 outputs equal batch-1 outputs row by row") {
  // blazeface reshapes with a hard-coded batch of 1; nanodet transposes and splits.
  for (std::string name : {"blazeface-back", "nanodet"}) {
    nlohmann::json golden =
        test::read_golden(name == "nanodet" ? "nanodet-vtest-f100" : "blazeface-back-messi5");
    models::tfjs::TfjsModel model(model_path(name).string());
    torch::Tensor one = test::golden_input(golden);
    // Eight different images: the frame, flipped and dimmed, so rows cannot be mixed up.
    std::vector<torch::Tensor> rows;
    for (int i = 0; i < 8; ++i)
      rows.push_back(i % 2 ? one.flip({2}) * (1.0 - 0.05 * i) : one * (1.0 - 0.05 * i));
    torch::Tensor batch = torch::cat(rows);
    std::vector<torch::Tensor> batched = model.run({batch});
    for (int i = 0; i < 8; ++i) {
      std::vector<torch::Tensor> single = model.run({rows[i]});
      for (size_t o = 0; o < single.size(); ++o) {
        INFO(name << " row " << i << " output " << o);
        REQUIRE(batched[o].size(0) == 8);
        CHECK(torch::allclose(batched[o][i], single[o][0], 1e-4, 1e-4));
      }
    }
  }
}

TEST_CASE("inputs of the wrong shape or dtype are refused, naming the model and input") {
  models::tfjs::TfjsModel model(model_path("blazeface-back").string());
  try {
    model.run({torch::zeros({1, 128, 128, 3})});
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::runtime);
    CHECK(std::string(e.what()).find("blazeface-back") != std::string::npos);
    CHECK(std::string(e.what()).find("256x256x3") != std::string::npos);
  }
  CHECK_THROWS_AS(model.run({torch::zeros({1, 256, 256, 3}, torch::kInt32)}), Error);
  CHECK_THROWS_AS(model.run({}), Error);
}

TEST_CASE("a graph that fixes its batch size refuses a larger batch instead of answering once") {
  models::tfjs::TfjsModel model(model_path("movenet-lightning").string());
  CHECK(model.run({torch::zeros({1, 192, 192, 3}, torch::kInt32)}).at(0).size(0) == 1);
  try {
    model.run({torch::zeros({2, 192, 192, 3}, torch::kInt32)});
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::runtime);
    CHECK(std::string(e.what()).find("movenet-lightning") != std::string::npos);
    CHECK(std::string(e.what()).find("1 rows for a batch of 2") != std::string::npos);
  }
}

TEST_CASE("a missing model file names the file and the fix") {
  std::string error = load_error("/no/such/model.json");
  CHECK(error.find("/no/such/model.json") != std::string::npos);
  CHECK(error.find("scripts/setup") != std::string::npos);
}

TEST_CASE("a truncated weight shard is refused with the sizes") {
  ModelCopy copy("blazeface-front");
  fs::resize_file(copy.bin, fs::file_size(copy.bin) / 2);
  std::string error = load_error(copy.json);
  CHECK(error.find("too short") != std::string::npos);
}

TEST_CASE("a shard longer than the manifest says is refused too") {
  ModelCopy copy("blazeface-front");
  std::ofstream(copy.bin, std::ios::app) << "extra bytes";
  CHECK(load_error(copy.json).find("do not belong together") != std::string::npos);
}

TEST_CASE("an unsupported op is named with its node") {
  ModelCopy copy("blazeface-front");
  std::string text = copy.text();
  size_t at = text.find("\"op\":\"Relu\"");
  REQUIRE(at != std::string::npos);
  copy.write(text.replace(at, 11, "\"op\":\"Erf\""));
  std::string error = load_error(copy.json);
  CHECK(error.find("op Erf") != std::string::npos);
  CHECK(error.find("node '") != std::string::npos);
}

TEST_CASE("a file that is not a TFJS graph model is refused") {
  ModelCopy copy("blazeface-front");
  copy.write("{\"format\": \"layers-model\"}");
  CHECK(load_error(copy.json).find("not a TFJS graph model") != std::string::npos);
  copy.write("not json at all");
  CHECK(load_error(copy.json).find("not valid JSON") != std::string::npos);
}

TEST_CASE("the model reports its inputs, outputs and size") {
  models::tfjs::TfjsModel model(model_path("nanodet").string());
  CHECK(model.input_names() == std::vector<std::string>{"input_1"});
  CHECK(model.input_shapes()[0] == std::vector<int64_t>{1, 3, 416, 416});
  CHECK(model.output_names().size() == 6);
  CHECK(model.op_count() > 200);
  CHECK(model.parameter_count() > 900000);
}
