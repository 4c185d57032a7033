#include "runtime/hindsight.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/error.h"
#include "plan/job_model_json.h"
#include "runtime/simulator.h"

namespace llama::runtime {

namespace {

constexpr int kSloSteps = 16;  // candidate SLOs between the fastest and the cheapest plan

// What the journal says the run measured.
struct Measured {
  // Per op and device (0 CPU, 1 GPU): each measured call's latency over the prediction for
  // its items.
  std::map<std::pair<int, int>, std::vector<double>> ratios;
  std::vector<double> in, out, taken, seen;  // per op
};

Measured measure(const plan::JobModel& model, const nlohmann::json& events) {
  Measured m;
  size_t n = model.ops.size();
  m.in.assign(n, 0);
  m.out.assign(n, 0);
  m.taken.assign(n, 0);
  m.seen.assign(n, 0);
  struct Call {
    int op = -1, choice = -1, items = 0;
  };
  std::map<int, Call> calls;  // by call
  std::map<int, int> run_call;
  for (const nlohmann::json& e : events) {
    const std::string kind = e.at(0);
    if (kind == "next") {
      run_call[e.at(2)] = e.at(3);
      calls[e.at(3)] = {e.at(5), e.at(6), e.at(7)};
    } else if (kind == "made") {
      calls[e.at(2)].items = e.at(3);
    } else if (kind == "ended" && e.at(4).get<bool>()) {
      const Call& c = calls.at(run_call.at(e.at(2)));
      const plan::OpModel& op = model.ops.at(c.op);
      double predicted_s = op.latency_ms_at(c.choice, std::max(1, c.items)) / 1000;
      if (predicted_s > 0 && c.items > 0)
        m.ratios[{c.op, op.choices.at(c.choice).held.gpus > 0}].push_back(e.at(3).get<double>() /
                                                                          predicted_s);
    } else if (kind == "produced") {
      m.in.at(e.at(2)) += e.at(3).get<double>();
      m.out.at(e.at(2)) += e.at(4).get<double>();
    } else if (kind == "arrived") {
      m.taken.at(e.at(2)) += static_cast<double>(e.at(4).size());
      m.seen.at(e.at(2)) += e.at(3).get<double>();
    }
  }
  return m;
}

// The recorded model with what the run measured: fan-outs, branch rates, and every config's
// latency scaled by its op's mean ratio on the same device (as the manager moves them).
plan::JobModel measured_model(plan::JobModel model, const Measured& m) {
  for (size_t i = 0; i < model.ops.size(); ++i) {
    plan::OpModel& op = model.ops[i];
    if (m.in[i] > 0) op.fanout = m.out[i] / m.in[i];
    if (m.seen[i] > 0) op.branch_rate = m.taken[i] / m.seen[i];
    for (plan::Choice& c : op.choices) {
      auto it = m.ratios.find({static_cast<int>(i), c.held.gpus > 0});
      if (it == m.ratios.end()) continue;
      double mean = 0;
      for (double r : it->second) mean += r / static_cast<double>(it->second.size());
      c.latency_ms *= mean;
      c.stdev_ms *= mean;
    }
  }
  return model;
}

std::vector<plan::Assignment> candidates(const plan::JobModel& model, const plan::Assignment& ran) {
  plan::Assignment fast = plan::fastest(model), cheap = plan::cheapest(model);
  std::vector<plan::Assignment> all{fast, cheap, ran};
  double from = plan::estimate(model, fast).latency_s, to = plan::estimate(model, cheap).latency_s;
  for (int i = 0; i <= kSloSteps; ++i) {
    double slo_s = from + (to - from) * i / kSloSteps;
    if (slo_s > 0)
      all.push_back(plan::plan_job(model, plan::Objective::slo, spec::LatencyTarget(slo_s)).choice);
  }
  std::set<plan::Assignment> seen;
  std::vector<plan::Assignment> unique;
  for (plan::Assignment& a : all)
    if (seen.insert(a).second) unique.push_back(std::move(a));
  return unique;
}

}  // namespace

Hindsight hindsight(const nlohmann::json& journal, const std::string& file, int seeds) {
  Hindsight h;
  plan::JobModel recorded;
  plan::Assignment ran;
  plan::Objective objective = plan::Objective::fixed;
  Measured m;
  try {
    recorded = plan::job_model_from_json(journal.at("model"));
    ran = journal.at("initial").get<plan::Assignment>();
    objective = static_cast<plan::Objective>(journal.at("options").at("objective").get<int>());
    const nlohmann::json& slo = journal.at("options").at("slo_s");
    if (!slo.is_null()) h.slo = spec::LatencyTarget(slo.get<double>());
    m = measure(recorded, journal.at("events"));
  } catch (const std::exception& e) {
    throw Error(ExitCode::bad_input, file + ": the replay journal is damaged (" + e.what() +
                                         "); record the run again with llama run --trace");
  }
  for (const auto& [key, ratios] : m.ratios)
    h.calls_measured += static_cast<int64_t>(ratios.size());
  h.model = measured_model(recorded, m);
  // A call of a config that ran, or of another on the same device, resamples a recorded
  // ratio; a device that never ran draws from the profile.
  SimOptions options;
  options.scheduler.objective = objective;
  options.latency = [&](int op, int choice, int items, std::mt19937_64& rng) {
    auto it = m.ratios.find({op, recorded.ops[op].choices[choice].held.gpus > 0});
    if (it == m.ratios.end()) return -1.0;
    size_t k = std::uniform_int_distribution<size_t>(0, it->second.size() - 1)(rng);
    return recorded.ops[op].latency_ms_at(choice, std::max(1, items)) / 1000 * it->second[k];
  };
  for (const plan::Assignment& a : candidates(h.model, ran)) {
    HindsightPlan p{a, 0, 0, false};
    std::vector<double> latencies;
    int met = 0;
    for (int seed = 1; seed <= seeds; ++seed) {
      options.seed = static_cast<uint64_t>(seed);
      SimResult r = simulate(h.model, a, h.slo, options);
      latencies.push_back(r.latency_s);
      p.usd += r.cost.dollars / seeds;
      met += r.met;
    }
    std::nth_element(latencies.begin(), latencies.begin() + seeds / 2, latencies.end());
    p.latency_s = latencies[seeds / 2];
    p.met = 2 * met > seeds;
    h.plans.push_back(std::move(p));
  }
  std::sort(h.plans.begin(), h.plans.end(),
            [](const HindsightPlan& a, const HindsightPlan& b) { return a.usd < b.usd; });
  for (size_t i = 0; i < h.plans.size() && h.best < 0; ++i)
    if (h.plans[i].met) h.best = static_cast<int>(i);
  return h;
}

}  // namespace llama::runtime
