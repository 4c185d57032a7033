// What the planner and the allocator ask of profiles: the latency of an op at a config and
// batch size (also for batch sizes never measured), the expected fan-out and branch rates,
// and the same estimates corrected online by what the run observes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "profile/store.h"

namespace llama::profile {

struct Prediction {
  double mean_ms = 0;
  double stdev_ms = 0;
  bool interpolated = false;  // no measurement or observation at exactly this batch size
};

class Predictor {
 public:
  // Weight of a new observation in the exponential smoothing. One invocation's latency is
  // noisy (stdev often 5-20% of the mean, plus outliers such as a page-fault burst), so one
  // sample must not swing the estimate; yet a real change (video content that slows the
  // detector, another job on the cores) should be absorbed within a second or two of video.
  // 0.2 averages over about (2 - a) / a = 9 invocations and takes in 89% of a step change
  // after 10 (1 - 0.8^10).
  static constexpr double kAlpha = 0.2;

  // A snapshot of `store`: later puts to the store are not seen, and the store may go away.
  explicit Predictor(const ProfileStore& store);

  // nullopt when nothing is known for this key at any batch size (or batch < 1).
  // Batch sizes between two known ones are interpolated linearly (mean and stdev). Outside
  // the known range the mean is extrapolated linearly from the two nearest known batches,
  // with the stdev scaled to keep the nearest one's stdev/mean; a single known batch scales
  // as constant cost per item. An extrapolated mean is never below the smallest known
  // per-item cost times the batch, so a noisy slope can not predict a free invocation.
  std::optional<Prediction> latency(const EntryKey& key) const;

  // One invocation's latency at exactly this key. Smooths the estimate at that batch (the
  // first observation of an unknown batch starts from the prediction above, or from the
  // observation itself when there is none). Other batch sizes are not moved: how a slowdown
  // at one batch carries to another is not known. Kept in memory only, never saved: the
  // store holds controlled measurements, not a run's conditions.
  void observe(const EntryKey& key, double latency_ms);

  // Expected items out per item in; 1.0 when unknown (the op passes items through).
  double fanout(const OpKey& key) const;
  void observe_fanout(const OpKey& key, double items_out_per_item_in);

  // Expected fraction of items that take the op's branch; 1.0 when unknown, which plans for
  // the most work and so errs on the side of meeting the SLO.
  double branch_rate(const OpKey& key) const;
  void observe_branch(const OpKey& key, int64_t taken, int64_t seen);

 private:
  struct Point {
    double mean_ms = 0;
    double var = 0;  // stdev squared, smoothed along with the mean
  };
  // Key with batch = 0 -> known batch sizes.
  std::map<EntryKey, std::map<int, Point>> curves_;
  std::map<OpKey, double> fanouts_;
  std::map<OpKey, double> branches_;
};

}  // namespace llama::profile
