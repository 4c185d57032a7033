// Face embeddings (mobilefacenet: 192-d, L2-normalised inside the network) for face crops.
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
  // images: one per face, or a single image that holds all the faces. This network packs
  // all inputs close together: the same face ~0.01 apart, another person ~0.02+, even
  // grass only ~0.012 from a face (face_embedder.cpp, lib/ops/match.cpp).
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
