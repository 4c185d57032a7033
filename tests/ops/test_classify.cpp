// classify on a real TorchScript file made here with torch::jit: a "colour" classifier whose
// logits are the mean of each input channel, declared in models: as a user would.
#include <unistd.h>
#include <filesystem>

#include <torch/script.h>

#include "base/error.h"
#include "op_test_util.h"
#include "torch_doctest.h"

using namespace llama;
namespace fs = std::filesystem;

namespace {

const char* kOp = "{name: colour_of, op: classify, input: cars, params: {model: colour}}";
// classify takes detections: a detector upstream (never built, so its model need not exist).
const char* kUpstream = "  - {name: cars, op: detect, input: decode, params: {model: nanodet}}\n";
const char* kNanodet = "  nanodet: /nonexistent/nanodet.json\n";

struct ColourModel {
  ColourModel() : dir(fs::temp_directory_path() / ("llama-classify-" + std::to_string(getpid()))) {
    fs::create_directories(dir);
    torch::jit::Module m("Colour");
    m.register_parameter("gain", torch::ones({1}) * 20, false);
    // [N, 3, H, W] -> [N, 3]: one logit per channel, R, G, B.
    m.define("def forward(self, x):\n  return x.mean([2, 3]) * self.gain\n");
    m.save((dir / "colour.pt").string());
  }
  ~ColourModel() { fs::remove_all(dir); }

  // The models: section declaring it, with `extra` lines added to its description.
  std::string models_yaml(const std::string& extra = "") const {
    return std::string("models:\n") + kNanodet +
           "  colour:\n    path: " + (dir / "colour.pt").string() +
           "\n    input: [16, 16]\n    labels: [red, green, blue]\n" + extra;
  }

  fs::path dir;
};

ops::Item detection(std::shared_ptr<video::Frame> f, ops::Box box) {
  ops::Item item = test::frame_item(std::move(f));
  item.kind = spec::ItemKind::detection;
  item.boxes = {box};
  item.fields = {{"label", "car"}};
  return item;
}

std::string construction_error(const std::string& head) {
  try {
    test::OpUnderTest op(kOp, ".", head, kUpstream);
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::bad_spec);
    return e.what();
  }
  FAIL("no error for " << head);
  return "";
}

}  // namespace

TEST_CASE("classify gives each detection the class of its box, in batch order") {
  ColourModel model;
  test::OpUnderTest op(kOp, ".", model.models_yaml(), kUpstream);
  auto f = test::solid_frame(64, 32, 0);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 64; ++x) f->rgb[(y * 64 + x) * 3 + (x < 32 ? 0 : 2)] = 255;  // red | blue
  auto out = op.run({detection(f, {4, 4, 20, 20}), detection(f, {40, 4, 20, 20})});
  REQUIRE(out.size() == 2);
  CHECK(out[0].fields["class"] == "red");
  CHECK(out[1].fields["class"] == "blue");
  CHECK(out[0].fields["label"] == "car");  // the detector's fields stay
  // Softmax of logits (20, 0, 0): e^20 / (e^20 + 2).
  CHECK(out[0].fields["class_score"].get<double>() == doctest::Approx(1.0).epsilon(1e-6));
  CHECK(out[0].kind == spec::ItemKind::detection);
}

TEST_CASE("classify: probabilities are taken as they come; no labels gives class numbers") {
  ColourModel model;
  std::string head = std::string("models:\n") + kNanodet +
                     "  colour:\n    path: " + (model.dir / "colour.pt").string() +
                     "\n    input: 8\n    output: probabilities\n    layout: NCHW\n";
  test::OpUnderTest op(kOp, ".", head, kUpstream);
  auto f = test::solid_frame(8, 8, 0);
  for (size_t i = 1; i < f->rgb.size(); i += 3) f->rgb[i] = 51;  // green 0.2
  auto out = op.run({detection(f, {0, 0, 8, 8})});
  CHECK(out.at(0).fields["class"] == "1");
  CHECK(out.at(0).fields["class_score"].get<double>() == doctest::Approx(4.0).epsilon(1e-4));
}

TEST_CASE("classify: declarations that cannot work name the model and the fix") {
  ColourModel model;
  std::string e = construction_error(model.models_yaml("    inputs: 3\n"));
  CHECK(e.find("model 'colour'") != std::string::npos);
  CHECK(e.find("unknown key 'inputs'") != std::string::npos);
  e = construction_error(model.models_yaml("    output: boxes\n"));
  CHECK(e.find("output 'boxes'") != std::string::npos);
  e = construction_error(std::string("models:\n") + kNanodet +
                         "  colour: " + (model.dir / "colour.pt").string() + "\n");
  CHECK(e.find("needs its input described") != std::string::npos);
  e = construction_error(model.models_yaml("    mean: [0.5]\n"));
  CHECK(e.find("mean and std need 3 values") != std::string::npos);
  e = construction_error(std::string("models:\n") + kNanodet +
                         "  colour: {path: /no/such.pt, input: 8}\n");
  CHECK(e.find("/no/such.pt") != std::string::npos);

  // Labels that disagree with the model's output are found on the first batch.
  std::string head = std::string("models:\n") + kNanodet +
                     "  colour:\n    path: " + (model.dir / "colour.pt").string() +
                     "\n    input: 8\n    labels: [red, green]\n";
  test::OpUnderTest op(kOp, ".", head, kUpstream);
  auto f = test::solid_frame(8, 8, 0);
  try {
    op.run({detection(f, {0, 0, 8, 8})});
    FAIL("expected an error");
  } catch (const Error& err) {
    CHECK(std::string(err.what()).find("gives 3 classes, but its labels list 2") !=
          std::string::npos);
  }
}
