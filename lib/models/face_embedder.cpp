// FaceEmbedder: mobilefacenet on square face crops, all faces of a call in one batched run.
// The embeddings are the network's own (as tfjs gives them). Its normalised outputs share
// one dominant direction whatever the input, so distances are small: on messi5 the face is
// 0.012 from grass and 0.0065 from itself shifted 3 px. Subtracting the network's output
// for a mid-grey crop and normalising again would spread them over 0..2 (face vs grass
// 1.6) in nearly the same order; not done, as lib/ops/match.cpp is calibrated on these.
#include "models/face_embedder.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "models/device.h"
#include "models/tfjs/tfjs_model.h"

namespace llama::models {

namespace {

constexpr int kInputSize = 112;  // mobilefacenet's img_inputs is [N, 112, 112, 3]

// The model was trained on square, face-centred crops; a detector's box is rarely square,
// so take the square of its longer side around the same centre (clamped to the image by
// crop_resize_batch).
Rect square_around(const Rect& r) {
  float side = std::max(r.w, r.h);
  return {r.x + r.w / 2 - side / 2, r.y + r.h / 2 - side / 2, side, side};
}

}  // namespace

struct FaceEmbedder::State {
  tfjs::TfjsModel model;
  torch::Device device;
  int size = 0;
};

FaceEmbedder::FaceEmbedder(const std::string& model_json, const std::string& device) {
  tfjs::TfjsModel model(model_json);
  torch::Device dev = parse_device(device, model_json);
  model.to(dev);
  // The embedding width is the network's, not a constant here: ask it once on a blank
  // crop (which also warms the model up).
  torch::Tensor blank =
      torch::zeros({1, kInputSize, kInputSize, 3}, torch::dtype(torch::kFloat).device(dev));
  int size = static_cast<int>(model.run({blank}).at(0).size(1));
  state_ = std::make_unique<State>(State{std::move(model), dev, size});
}

FaceEmbedder::~FaceEmbedder() = default;

int FaceEmbedder::embedding_size() const {
  return state_->size;
}

std::vector<std::vector<float>> FaceEmbedder::embed(const std::vector<ImageView>& images,
                                                    const std::vector<Rect>& faces) {
  if (faces.empty()) return {};
  if (images.size() != faces.size() && images.size() != 1)
    throw Error(ExitCode::internal, "FaceEmbedder::embed: " + std::to_string(images.size()) +
                                        " images for " + std::to_string(faces.size()) +
                                        " faces (want one each, or one image)");
  // One image for many faces is the common case (all faces of a frame): repeat the view,
  // which costs nothing since crop_resize_batch only wraps the pixels.
  std::vector<ImageView> views =
      images.size() == faces.size() ? images : std::vector<ImageView>(faces.size(), images[0]);
  std::vector<Rect> squares;
  squares.reserve(faces.size());
  for (const Rect& f : faces) squares.push_back(square_around(f));
  torch::Tensor batch =
      crop_resize_batch(views, squares, kInputSize, kInputSize, 1.0 / 255.0, 0.0, state_->device);
  // Already L2-normalised inside the network (its last node divides by the norm).
  torch::Tensor out = state_->model.run({batch}).at(0).to(torch::kCPU, torch::kFloat).contiguous();
  std::vector<std::vector<float>> result(faces.size());
  const float* p = out.data_ptr<float>();
  for (size_t i = 0; i < faces.size(); ++i)
    result[i].assign(p + i * state_->size, p + (i + 1) * state_->size);
  return result;
}

float embedding_distance(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size())
    throw Error(ExitCode::internal, "embedding_distance: sizes " + std::to_string(a.size()) +
                                        " and " + std::to_string(b.size()) + " differ");
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return static_cast<float>(std::sqrt(sum));
}

}  // namespace llama::models
