#include "runtime/manager.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "runtime/allocator.h"

namespace llama::runtime {

void Manager::observe_latency(int op, int choice, int items, double seconds) {
  plan::Choice& c = model_.ops[op].choices[choice];
  if (items <= 0 || !std::isfinite(seconds) || seconds < 0) return;
  if (c.latency_ms <= 0) {
    // Nothing known yet (a static run has no profile): a first estimate, scaled per item,
    // beats none, which would make the op look free next to the others.
    c.latency_ms = seconds * 1000 * c.batch / items;
    return;
  }
  plan::OpModel& m = model_.ops[op];
  double predicted = m.latency_ms_at(choice, items);
  if (predicted <= 0) return;
  double ms = seconds * 1000;
  if (items == c.batch) {
    // West's smoothed variance, as the predictor's: a steady stream converges to 0.
    double diff = ms - c.latency_ms;
    c.stdev_ms = std::sqrt((1 - kAlpha) * (c.stdev_ms * c.stdev_ms + diff * kAlpha * diff));
  }
  // What the run shows (the machine slower than when profiled, another tenant on the host)
  // holds for every config of the op on the same device: moving only the one that ran makes
  // the others look cheaper when they are as slow. The configs keep the profile's ranking, and
  // the run sets their level.
  double factor = 1 + kAlpha * (ms / predicted - 1);
  for (plan::Choice& other : m.choices)
    if (other.latency_ms > 0 && (other.held.gpus > 0) == (c.held.gpus > 0))
      other.latency_ms *= factor;
}

void Manager::observe_fanout(int op, int64_t items_in, int64_t items_out) {
  if (items_in <= 0) return;
  double f = static_cast<double>(items_out) / static_cast<double>(items_in);
  model_.ops[op].fanout += kAlpha * (f - model_.ops[op].fanout);
}

void Manager::observe_branch(int op, int64_t taken, int64_t seen) {
  if (seen <= 0) return;
  double rate = static_cast<double>(taken) / static_cast<double>(seen);
  model_.ops[op].branch_rate += kAlpha * (rate - model_.ops[op].branch_rate);
}

int Manager::set_aside(int op, int choice, int items, const plan::Resources& held) {
  plan::OpModel& m = model_.ops[op];
  m.choices[choice].set_aside = true;
  auto fits = [&](const plan::Choice& c) {
    plan::Resources r = plan::held_on(c, model_.pool);
    return r.cores <= held.cores && r.gpus <= held.gpus;
  };
  // Any slack: the items are late already, and what matters is that they run at all.
  return choose_config(m, std::numeric_limits<double>::infinity(), plan::Objective::cheap, model_,
                       items, fits);
}

double Manager::frame_deadline_s(double start_s, double slo_s, int64_t index, double frames,
                                 double lead_s) {
  double lead = std::clamp(lead_s, 0.0, slo_s / 2);
  return start_s + lead + (slo_s - lead) * static_cast<double>(index + 1) / std::max(1.0, frames);
}

double Manager::straggler_after_s(double mean_s, double sd_s) {
  if (mean_s < 0.001) return std::numeric_limits<double>::infinity();
  return std::max(mean_s + 3 * sd_s, 2 * mean_s);
}

}  // namespace llama::runtime
