// classify: the user's own PyTorch classifier (a TorchScript file) on each detection's box.
// The model is declared in `models:` with how it wants its input:
//   models:
//     helmet:
//       path: ../models/helmet.pt
//       input: [96, 96]            # width, height
//       layout: NCHW               # or NHWC
//       mean: [0.485, 0.456, 0.406]  # per channel, on pixel / 255
//       std: [0.229, 0.224, 0.225]
//       output: logits             # or probabilities
//       labels: [helmet, no_helmet]
// The top class joins the item's fields as `class` (its label) and `class_score`.
#include <algorithm>
#include <memory>

#include "base/error.h"
#include "models/torchscript/torchscript_model.h"
#include "ops/builtin.h"
#include "ops/torch_threads.h"

namespace llama::ops {

namespace {

using models::torchscript::TorchScriptSpec;

const std::vector<std::string> kModelKeys = {"path", "input",  "layout", "mean",
                                             "std",  "output", "labels"};

struct Classifier {
  std::string name;  // in models:
  TorchScriptSpec model;
  std::vector<std::string> labels;  // empty: classes are reported by number
};

// The declaration's fields, checked by name and type so a typo is an error, not a default.
Classifier read_classifier(const spec::ModelSpec& model, const std::string& device) {
  std::string where = model.where.file + ":" + std::to_string(model.where.line) + ":" +
                      std::to_string(model.where.column);
  auto bad = [&](const std::string& what, const std::string& fix) {
    throw Error(ExitCode::bad_spec,
                where + ": model '" + model.name + "': " + what + " (" + fix + ")");
  };
  const nlohmann::json& f = model.fields;
  if (!f.is_object())
    bad("a TorchScript model needs its input described",
        "give path, input: [width, height], and optionally layout, mean, std, output, labels");
  for (const auto& [key, value] : f.items())
    if (std::find(kModelKeys.begin(), kModelKeys.end(), key) == kModelKeys.end())
      bad("unknown key '" + key + "'", "keys: path, input, layout, mean, std, output, labels");
  Classifier c;
  c.name = model.name;
  TorchScriptSpec& s = c.model;
  s.path = model.path;
  s.device = device;
  try {
    const nlohmann::json& input = f.at("input");
    if (input.is_number_integer()) {
      s.input_width = s.input_height = input.get<int>();
    } else if (input.is_array() && input.size() == 2) {
      s.input_width = input[0].get<int>();
      s.input_height = input[1].get<int>();
    } else {
      bad("input must be a size or [width, height]", "e.g. input: [224, 224]");
    }
    s.layout = f.value("layout", s.layout);
    s.mean = f.value("mean", s.mean);
    s.std = f.value("std", s.std);
    s.output = f.value("output", std::string("logits"));
    c.labels = f.value("labels", c.labels);
  } catch (const nlohmann::json::exception& e) {
    bad(std::string("a field has the wrong type or is missing: ") + e.what(),
        "input is [width, height], mean and std are 3 numbers, layout and output are words");
  }
  if (s.output != "logits" && s.output != "probabilities")
    bad("output '" + s.output + "'", "use logits (softmax is applied) or probabilities");
  return c;
}

class ClassifyOp : public Op {
 public:
  explicit ClassifyOp(const OpContext& ctx)
      : classifier_(read_classifier(ctx.model("model"), ctx.knob_string("device", "cpu"))),
        model_(classifier_.model),
        threads_(static_cast<int>(ctx.knob_number("threads", 0))) {}

  void process(std::vector<Item>& batch, std::vector<Item>& out) override {
    if (batch.empty()) return;
    use_torch_threads(threads_);
    std::vector<models::ImageView> images;
    std::vector<models::Rect> boxes;
    for (const Item& item : batch) {
      const video::Frame& f = *item.frame;
      images.push_back({f.rgb.data(), f.width, f.height});
      Box b = item.boxes.empty() ? Box{0, 0, f.width, f.height} : item.boxes.front();
      boxes.push_back({static_cast<float>(b.x), static_cast<float>(b.y), static_cast<float>(b.w),
                       static_cast<float>(b.h)});
    }
    torch::Tensor scores = model_.run(images, boxes).to(torch::kCPU, torch::kFloat);
    if (scores.dim() == 0 || scores.size(0) != static_cast<int64_t>(batch.size()))
      throw Error(ExitCode::runtime, model_.spec().path + ": output " + c10::str(scores.sizes()) +
                                         " for a batch of " + std::to_string(batch.size()) +
                                         " (a classifier returns [N, classes])");
    scores = scores.reshape({scores.size(0), -1});
    const std::vector<std::string>& labels = classifier_.labels;
    if (!labels.empty() && scores.size(1) != static_cast<int64_t>(labels.size()))
      throw Error(ExitCode::bad_spec, "model '" + classifier_.name + "' (" + model_.spec().path +
                                          ") gives " + std::to_string(scores.size(1)) +
                                          " classes, but its " + "labels list " +
                                          std::to_string(labels.size()) + " (make them agree)");
    if (model_.spec().output == "logits") scores = torch::softmax(scores, 1);
    auto [best, index] = scores.max(1);
    for (size_t i = 0; i < batch.size(); ++i) {
      Item item = std::move(batch[i]);
      int64_t k = index[static_cast<int64_t>(i)].item<int64_t>();
      item.fields["class"] = labels.empty() ? std::to_string(k) : labels[k];
      item.fields["class_score"] = best[static_cast<int64_t>(i)].item<float>();
      out.push_back(std::move(item));
    }
  }

  void set_threads(int threads) override { threads_ = threads; }

 private:
  Classifier classifier_;
  models::torchscript::TorchScriptModel model_;
  int threads_;
};

}  // namespace

void register_classify_op(OpRegistry& registry) {
  spec::OpSignature s;
  s.kind = "classify";
  s.summary = "your TorchScript classifier on each detection; adds class and class_score";
  s.accepts = {spec::ItemKind::detection};
  s.produces = spec::ItemKind::detection;
  s.fields = {"label", "score",    "class_id",   "x",     "y",          "w",
              "h",     "track_id", "pose_score", "class", "class_score"};
  s.params = {{"model", spec::ParamType::model, true, "a TorchScript model from models:", {}}};
  s.knobs = {device_knob(true), threads_knob(), batch_knob()};
  s.parallel = true;  // no state from one batch to the next
  registry.add(std::move(s),
               [](const OpContext& ctx) { return std::make_unique<ClassifyOp>(ctx); });
}

}  // namespace llama::ops
