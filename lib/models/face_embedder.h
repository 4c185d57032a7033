// Face embeddings (mobilefacenet: 192-d, L2-normalised) for face crops.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/image.h"

namespace llama::models {

class FaceEmbedder {
 public:
  FaceEmbedder(const std::string& model_json, const std::string& device);
  ~FaceEmbedder();
  // One embedding per region (a face box in the image, grown to a square as the model
  // expects), each of embedding_size() floats with L2 norm 1, all in one batched run.
  // images: one per face, or a single image that holds all the faces. The network's
  // input-independent component is removed (face_embedder.cpp says why), so distances
  // use the whole 0..2 range; a featureless crop gives the zero vector.
  std::vector<std::vector<float>> embed(const std::vector<ImageView>& images,
                                        const std::vector<Rect>& faces);
  int embedding_size() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Euclidean distance between two L2-normalised embeddings (0 same, 2 opposite).
float embedding_distance(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace llama::models
