#include "profile/predictor.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

namespace llama::profile {

namespace {

EntryKey without_batch(EntryKey key) {
  key.batch = 0;
  return key;
}

// Exponentially weighted mean and variance (West 1979): the variance update uses the
// deviation from the old mean, so a constant stream converges to var = 0.
void smooth(double& mean, double& var, double x) {
  double diff = x - mean;
  double step = Predictor::kAlpha * diff;
  mean += step;
  var = (1 - Predictor::kAlpha) * (var + diff * step);
}

}  // namespace

Predictor::Predictor(const ProfileStore& store) {
  for (const Entry& e : store.entries())
    curves_[without_batch(e.key)][e.key.batch] = {e.stats.mean_ms,
                                                  e.stats.stdev_ms * e.stats.stdev_ms};
  for (const auto& [key, f] : store.fanouts()) fanouts_[key] = f.mean;
  for (const auto& [key, b] : store.branches())
    if (b.seen > 0) branches_[key] = static_cast<double>(b.taken) / static_cast<double>(b.seen);
}

std::optional<Prediction> Predictor::latency(const EntryKey& key) const {
  if (key.batch < 1) return std::nullopt;
  auto found = curves_.find(without_batch(key));
  if (found == curves_.end() || found->second.empty()) return std::nullopt;
  const std::map<int, Point>& curve = found->second;
  if (auto exact = curve.find(key.batch); exact != curve.end())
    return Prediction{exact->second.mean_ms, std::sqrt(exact->second.var), false};

  double b = key.batch;
  auto hi = curve.upper_bound(key.batch);
  if (hi != curve.begin() && hi != curve.end()) {
    auto lo = std::prev(hi);
    double t = (b - lo->first) / static_cast<double>(hi->first - lo->first);
    double mean = lo->second.mean_ms + t * (hi->second.mean_ms - lo->second.mean_ms);
    double sd_lo = std::sqrt(lo->second.var), sd_hi = std::sqrt(hi->second.var);
    return Prediction{mean, sd_lo + t * (sd_hi - sd_lo), true};
  }

  double min_per_item = std::numeric_limits<double>::infinity();
  for (const auto& [batch, p] : curve) min_per_item = std::min(min_per_item, p.mean_ms / batch);
  // The nearest known batch and the one next to it, on the side we extrapolate from.
  auto nearest = hi == curve.begin() ? curve.begin() : std::prev(curve.end());
  double mean = min_per_item * b;
  if (curve.size() >= 2) {
    auto other = hi == curve.begin() ? std::next(nearest) : std::prev(nearest);
    double slope =
        (nearest->second.mean_ms - other->second.mean_ms) / (nearest->first - other->first);
    mean = std::max(mean, nearest->second.mean_ms + slope * (b - nearest->first));
  }
  double cv =
      nearest->second.mean_ms > 0 ? std::sqrt(nearest->second.var) / nearest->second.mean_ms : 0.0;
  return Prediction{mean, cv * mean, true};
}

void Predictor::observe(const EntryKey& key, double latency_ms) {
  if (key.batch < 1 || !(latency_ms >= 0) || !std::isfinite(latency_ms)) return;
  std::optional<Prediction> before = latency(key);
  std::map<int, Point>& curve = curves_[without_batch(key)];
  auto [it, inserted] = curve.try_emplace(key.batch);
  Point& p = it->second;
  if (inserted) {
    if (!before) {
      p = {latency_ms, 0};
      return;
    }
    p = {before->mean_ms, before->stdev_ms * before->stdev_ms};
  }
  smooth(p.mean_ms, p.var, latency_ms);
}

double Predictor::fanout(const OpKey& key) const {
  auto it = fanouts_.find(key);
  return it == fanouts_.end() ? 1.0 : it->second;
}

void Predictor::observe_fanout(const OpKey& key, double items_out_per_item_in) {
  if (!(items_out_per_item_in >= 0) || !std::isfinite(items_out_per_item_in)) return;
  // The 1.0 default is a guess, not a measurement: the first observation replaces it.
  auto [it, inserted] = fanouts_.try_emplace(key, items_out_per_item_in);
  if (!inserted) it->second += kAlpha * (items_out_per_item_in - it->second);
}

double Predictor::branch_rate(const OpKey& key) const {
  auto it = branches_.find(key);
  return it == branches_.end() ? 1.0 : it->second;
}

void Predictor::observe_branch(const OpKey& key, int64_t taken, int64_t seen) {
  if (seen <= 0 || taken < 0 || taken > seen) return;
  double rate = static_cast<double>(taken) / static_cast<double>(seen);
  auto [it, inserted] = branches_.try_emplace(key, rate);
  if (!inserted) it->second += kAlpha * (rate - it->second);
}

}  // namespace llama::profile
