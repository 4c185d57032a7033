// The models on a CUDA device: the same goldens as test_tfjs_golden, the same detections as
// on the CPU. Debian's libtorch has no CUDA, so on a machine without a GPU every case says it
// was skipped; scripts/cuda-check builds against a CUDA libtorch and runs them on a GPU.
#include "golden_case.h"
#include "models/detector.h"
#include "models/tfjs/tfjs_model.h"
#include "picture.h"

using namespace llama;

namespace {

bool have_cuda() {
  if (torch::cuda::is_available()) return true;
  MESSAGE("skipped: this libtorch sees no CUDA device");
  return false;
}

// The golden case on CUDA, batch 1 and a batch of 3 copies: each output matches the tfjs
// reference as the CPU does (1e-3 relative), and the CPU's own output within 1e-4 of its
// largest value (TF32 would miss both: see models/device.h).
void check_golden_on_cuda(const std::string& name) {
  nlohmann::json golden = test::read_golden(name);
  std::filesystem::path model_json = test::source_dir() / golden["model_json"].get<std::string>();
  REQUIRE_MESSAGE(std::filesystem::exists(model_json), model_json << " missing: run scripts/setup");
  models::tfjs::TfjsModel model(model_json.string());
  torch::Tensor input = test::golden_input(golden);
  std::vector<torch::Tensor> on_cpu = model.run({input});

  model.to(torch::Device(torch::kCUDA));
  std::vector<torch::Tensor> on_gpu = model.run({input.to(torch::kCUDA)});
  // movenet's graph fixes its batch at 1 (the pose op runs it one person at a time).
  bool batches = name.rfind("movenet", 0) != 0;
  std::vector<torch::Tensor> batch3 =
      batches ? model.run({input.repeat({3, 1, 1, 1}).to(torch::kCUDA)}) : on_gpu;
  REQUIRE(on_gpu.size() == golden["outputs"].size());
  for (size_t i = 0; i < on_gpu.size(); ++i) {
    const auto& reference = golden["outputs"][i];
    INFO(name << " output " << reference["name"].get<std::string>());
    CHECK(on_gpu[i].device().is_cuda());
    CHECK(on_gpu[i].sizes().vec() == reference["shape"].get<std::vector<int64_t>>());
    CHECK(test::max_relative_error(on_gpu[i], reference) < 1e-3);
    torch::Tensor gpu = on_gpu[i].to(torch::kCPU, torch::kDouble);
    torch::Tensor cpu = on_cpu[i].to(torch::kDouble);
    double scale = std::max(cpu.abs().max().item<double>(), 1e-6);
    CHECK((gpu - cpu).abs().max().item<double>() / scale < 1e-4);
    if (batches && batch3[i].dim() > 0 && batch3[i].size(0) == 3) {
      torch::Tensor third = batch3[i].select(0, 2).to(torch::kCPU, torch::kDouble);
      CHECK((third - gpu.select(0, 0)).abs().max().item<double>() / scale < 1e-4);
    }
  }
}

void check_same_detections(const std::vector<models::Detection>& gpu,
                           const std::vector<models::Detection>& cpu) {
  REQUIRE(gpu.size() == cpu.size());
  for (size_t i = 0; i < cpu.size(); ++i) {
    CHECK(gpu[i].label == cpu[i].label);
    CHECK(std::abs(gpu[i].score - cpu[i].score) < 1e-3f);
    CHECK(models::iou(gpu[i].box, cpu[i].box) > 0.99f);
  }
}

}  // namespace

TEST_CASE("CUDA: every tfjs model matches the tfjs reference and the CPU") {
  if (!have_cuda()) return;
  for (const char* name :
       {"nanodet-vtest-f100", "nanodet-messi5", "blazeface-back-messi5",
        "blazeface-back-megamind-f90", "blazeface-front-messi5", "mobilefacenet-messi5-face",
        "movenet-lightning-messi5", "selfie-messi5"})
    check_golden_on_cuda(name);
}

TEST_CASE("CUDA: detectors find what they find on the CPU, batch 1 and 4") {
  if (!have_cuda()) return;
  struct Case {
    const char* model;
    const char* video;
    int width, height;
    const char* filters;
  };
  for (const Case& c :
       {Case{"models/nanodet.json", "data/vtest.avi", 768, 576, "trim=start_frame=100,"},
        Case{"models/blazeface-back.json", "data/Megamind.avi", 720, 528,
             "trim=start_frame=90,"}}) {
    INFO(c.model);
    test::Picture picture = test::decode_picture(c.video, c.width, c.height, c.filters);
    models::DetectorOptions options;
    options.model_json = (test::source_dir() / c.model).string();
    auto cpu = models::make_detector(options);
    options.device = "cuda";
    auto gpu = models::make_detector(options);
    std::vector<models::Detection> want = cpu->detect({picture.view()}).at(0);
    CHECK(!want.empty());
    check_same_detections(gpu->detect({picture.view()}).at(0), want);
    for (const auto& got : gpu->detect(std::vector(4, picture.view())))
      check_same_detections(got, want);
  }
}
