// Greedy non-maximum suppression, per class: what every detector here runs on its candidates.
#include <algorithm>
#include <numeric>

#include "models/detector.h"

namespace llama::models {

// A candidate is dropped when it overlaps a better kept one of its class by more than
// iou_threshold (tf.image.nonMaxSuppression's rule). max_kept < 0 keeps any number.
std::vector<size_t> non_max_suppression(const std::vector<Detection>& detections,
                                        float iou_threshold, int max_kept) {
  std::vector<size_t> order(detections.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // Stable, so equal scores keep their input order and the result is deterministic.
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return detections[a].score > detections[b].score; });
  std::vector<size_t> kept;
  for (size_t i : order) {
    if (max_kept >= 0 && kept.size() >= static_cast<size_t>(max_kept)) break;
    const Detection& d = detections[i];
    bool suppressed = std::any_of(kept.begin(), kept.end(), [&](size_t k) {
      return detections[k].class_id == d.class_id && iou(detections[k].box, d.box) > iou_threshold;
    });
    if (!suppressed) kept.push_back(i);
  }
  return kept;
}

// NMS compares every kept box with every candidate; a low min_score on a busy frame can
// give thousands, so only the best few hundred are worth judging.
std::vector<Detection> keep_best(std::vector<Detection> candidates, float iou_threshold,
                                 int max_kept) {
  constexpr size_t kMaxCandidates = 1000;
  if (candidates.size() > kMaxCandidates) {
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const Detection& a, const Detection& b) { return a.score > b.score; });
    candidates.resize(kMaxCandidates);
  }
  std::vector<Detection> kept;
  for (size_t k : non_max_suppression(candidates, iou_threshold, max_kept))
    kept.push_back(std::move(candidates[k]));
  return kept;
}

}  // namespace llama::models
