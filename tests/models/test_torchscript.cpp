// TorchScriptModel on real TorchScript files made here with torch::jit: the input batch is
// normalised and laid out as the spec says, and bad files are refused naming the file.
#include <unistd.h>
#include <filesystem>
#include <fstream>

#include <torch/script.h>

#include "base/error.h"
#include "models/torchscript/torchscript_model.h"
#include "torch_doctest.h"

using namespace llama;
namespace fs = std::filesystem;
using models::torchscript::TorchScriptModel;
using models::torchscript::TorchScriptSpec;

namespace {

struct ScratchDir {
  ScratchDir() : path(fs::temp_directory_path() / ("llama-ts-" + std::to_string(::getpid()))) {
    fs::create_directories(path);
  }
  ~ScratchDir() { fs::remove_all(path); }
  fs::path path;
};

// A module scaling its input by a weight of 2, saved as a TorchScript file.
std::string save_scale_module(const fs::path& file,
                              const std::string& body = "  return x * self.w\n") {
  torch::jit::Module m("Scale");
  m.register_parameter("w", torch::ones({1}) * 2, false);
  m.define("def forward(self, x):\n" + body);
  m.save(file.string());
  return file.string();
}

// A 4x3 image whose pixels all differ, so layout mistakes show.
std::vector<uint8_t> test_pixels(int w, int h) {
  std::vector<uint8_t> rgb(static_cast<size_t>(w) * h * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>(i * 7 % 256);
  return rgb;
}

// What the model must see: [1, h, w, 3] as (pixel / 255 - mean) / std.
torch::Tensor expected_input(const std::vector<uint8_t>& rgb, int w, int h,
                             const TorchScriptSpec& s) {
  torch::Tensor x = torch::from_blob(const_cast<uint8_t*>(rgb.data()), {1, h, w, 3}, torch::kUInt8)
                        .to(torch::kFloat);
  return (x / 255.0 - torch::tensor(s.mean, torch::kFloat)) / torch::tensor(s.std, torch::kFloat);
}

std::string error_of(const TorchScriptSpec& spec, ExitCode want) {
  try {
    TorchScriptModel model(spec);
  } catch (const Error& e) {
    CHECK(e.code() == want);
    return e.what();
  }
  FAIL("no error loading " << spec.path);
  return "";
}

}  // namespace

TEST_CASE("a saved TorchScript module runs on the normalised batch, NCHW and NHWC") {
  ScratchDir dir;
  const int w = 4, h = 3;
  std::vector<uint8_t> rgb = test_pixels(w, h);
  models::ImageView image{rgb.data(), w, h};
  TorchScriptSpec spec;
  spec.path = save_scale_module(dir.path / "scale.pt");
  spec.input_width = w;  // the native size, so the resize keeps the pixels
  spec.input_height = h;
  spec.mean = {0.485, 0.456, 0.406};
  spec.std = {0.229, 0.224, 0.225};
  torch::Tensor want = expected_input(rgb, w, h, spec) * 2;

  TorchScriptModel nchw(spec);
  torch::Tensor out = nchw.run({image, image});
  REQUIRE(out.sizes().vec() == std::vector<int64_t>{2, 3, h, w});
  CHECK(torch::allclose(out[1], want[0].permute({2, 0, 1}), 1e-4, 1e-5));

  spec.layout = "NHWC";
  TorchScriptModel nhwc(spec);
  out = nhwc.run({image});
  REQUIRE(out.sizes().vec() == std::vector<int64_t>{1, h, w, 3});
  CHECK(torch::allclose(out, want, 1e-4, 1e-5));
}

TEST_CASE("the input is resized to the spec's size; a tuple output gives its first tensor") {
  ScratchDir dir;
  std::vector<uint8_t> rgb(64 * 48 * 3, 51);  // flat grey: the resize cannot change it
  TorchScriptSpec spec;
  spec.path = save_scale_module(dir.path / "pair.pt", "  return (x * self.w, x.sum())\n");
  spec.input_width = 16;
  spec.input_height = 8;
  TorchScriptModel model(spec);
  torch::Tensor out = model.run({{rgb.data(), 64, 48}});
  REQUIRE(out.sizes().vec() == std::vector<int64_t>{1, 3, 8, 16});
  CHECK(torch::allclose(out, torch::full({1, 3, 8, 16}, 2 * 51 / 255.0), 1e-4, 1e-5));
}

TEST_CASE("a module that fails in forward is a runtime error naming the file") {
  ScratchDir dir;
  TorchScriptSpec spec;
  spec.path = save_scale_module(dir.path / "narrow.pt", "  return x.view(-1, 5, 5)\n");
  spec.input_width = spec.input_height = 4;
  TorchScriptModel model(spec);
  std::vector<uint8_t> rgb(4 * 4 * 3, 0);
  try {
    model.run({{rgb.data(), 4, 4}});
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::runtime);
    CHECK(std::string(e.what()).find("narrow.pt") != std::string::npos);
    CHECK(std::string(e.what()).find("is invalid for input of size 48") != std::string::npos);
    MESSAGE(std::string(e.what()));
  }
}

TEST_CASE("missing, non-TorchScript files and bad specs are refused naming the file") {
  ScratchDir dir;
  TorchScriptSpec spec;
  spec.input_width = spec.input_height = 8;

  spec.path = (dir.path / "absent.pt").string();
  CHECK(error_of(spec, ExitCode::bad_spec).find("absent.pt") != std::string::npos);

  spec.path = (dir.path / "notes.txt").string();
  std::ofstream(spec.path) << "this is not a model\n";
  std::string text = error_of(spec, ExitCode::bad_spec);
  MESSAGE(text);
  CHECK(text.find("notes.txt") != std::string::npos);
  CHECK(text.find("not a TorchScript file") != std::string::npos);

  spec.path = save_scale_module(dir.path / "ok.pt");
  TorchScriptSpec bad = spec;
  bad.layout = "CHW";
  CHECK(error_of(bad, ExitCode::bad_spec).find("CHW") != std::string::npos);
  bad = spec;
  bad.std = {1, 0, 1};
  CHECK(error_of(bad, ExitCode::bad_spec).find("ok.pt") != std::string::npos);
  bad = spec;
  bad.mean = {0.5};
  error_of(bad, ExitCode::bad_spec);
  bad = spec;
  bad.input_width = 0;
  error_of(bad, ExitCode::bad_spec);
  bad = spec;
  bad.device = "tpu";
  CHECK(error_of(bad, ExitCode::bad_spec).find("tpu") != std::string::npos);
}
