// The TFJS runtime against tfjs itself: raw outputs of every model on real images and
// frames must match the reference within 1e-3 relative.
#include "golden_case.h"
#include "models/tfjs/tfjs_model.h"

using namespace llama;

namespace {

void check_golden(const std::string& name) {
  nlohmann::json golden = test::read_golden(name);
  std::filesystem::path model_json = test::source_dir() / golden["model_json"].get<std::string>();
  REQUIRE_MESSAGE(std::filesystem::exists(model_json), model_json << " missing: run scripts/setup");
  models::tfjs::TfjsModel model(model_json.string());
  std::vector<torch::Tensor> outputs = model.run({test::golden_input(golden)});
  REQUIRE(outputs.size() == golden["outputs"].size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto& reference = golden["outputs"][i];
    INFO(name << " output " << reference["name"].get<std::string>());
    CHECK(model.output_names()[i] == reference["name"].get<std::string>());
    CHECK(outputs[i].sizes().vec() == reference["shape"].get<std::vector<int64_t>>());
    CHECK(test::max_relative_error(outputs[i], reference) < 1e-3);
    double sum = outputs[i].to(torch::kDouble).sum().item<double>();
    double abs_sum = reference["abs_sum"].get<double>();
    CHECK(std::abs(sum - reference["sum"].get<double>()) <= 1e-3 * abs_sum + 1e-3);
  }
}

}  // namespace

TEST_CASE("nanodet matches tfjs on a vtest frame and on messi5") {
  check_golden("nanodet-vtest-f100");
  check_golden("nanodet-messi5");
}

TEST_CASE("blazeface matches tfjs on messi5 and a Megamind frame") {
  check_golden("blazeface-back-messi5");
  check_golden("blazeface-back-megamind-f90");
  check_golden("blazeface-front-messi5");
}

TEST_CASE("mobilefacenet matches tfjs on messi's face") {
  check_golden("mobilefacenet-messi5-face");
}

TEST_CASE("movenet matches tfjs on messi5 (int32 input, ArgMax/GatherNd post-processing)") {
  check_golden("movenet-lightning-messi5");
}

TEST_CASE("selfie matches tfjs on messi5 (AvgPool, Conv2DBackpropInput, AddN)") {
  check_golden("selfie-messi5");
}
