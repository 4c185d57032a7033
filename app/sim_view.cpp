#include "sim_view.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

namespace llama::app {

nlohmann::json sim_view(const plan::JobModel& model, const plan::Plan& plan,
                        const runtime::SimResult& r, uint64_t seed) {
  nlohmann::json ops = nlohmann::json::array();
  for (const runtime::SimOpResult& o : r.ops)
    ops.push_back({{"op", o.name},
                   {"invocations", o.invocations},
                   {"items_in", o.items_in},
                   {"items_out", o.items_out},
                   {"busy_s", o.busy_s},
                   {"usd", o.cost.dollars},
                   {"core_s", o.cost.core_s},
                   {"gpu_s", o.cost.gpu_s},
                   {"configs", o.configs}});
  return {{"pipeline", model.pipeline},
          {"objective", plan::to_string(plan.objective)},
          {"slo_s", r.slo ? nlohmann::json(r.slo.seconds()) : nlohmann::json(nullptr)},
          {"pool", {{"cpus", model.pool.cpus}, {"gpus", model.pool.gpus}}},
          {"frames", model.video.frames},
          {"seed", seed},
          {"predicted_latency_s", plan.predicted.latency_s},
          {"latency_s", r.latency_s},
          {"slo_met", r.slo ? nlohmann::json(r.met) : nlohmann::json(nullptr)},
          {"usd", r.cost.dollars},
          {"core_s", r.cost.core_s},
          {"gpu_s", r.cost.gpu_s},
          {"invocations", r.invocations},
          {"failures", r.failures},
          {"duplicates", r.duplicates},
          {"results", r.results},
          {"late_results", r.late},
          {"decision_us", {{"median", r.decision_us_median}, {"p99", r.decision_us_p99}}},
          {"wall_s", r.wall_s},
          {"ops", ops}};
}

void print_sim_table(std::ostream& out, const nlohmann::json& v) {
  fmt::print(out,
             "{}: simulated, objective {}, pool of {} cpus and {} gpus, {:.0f} frames, seed {}\n",
             v["pipeline"].get<std::string>(), v["objective"].get<std::string>(),
             v["pool"]["cpus"].get<int>(), v["pool"]["gpus"].get<int>(), v["frames"].get<double>(),
             v["seed"].get<uint64_t>());
  fmt::print(out, "{:<20} {:>10} {:>10} {:>10} {:>10} {:>11}  {}\n", "op", "calls", "in", "out",
             "busy s", "cost $", "configs (calls)");
  for (const auto& op : v["ops"]) {
    std::string configs;
    for (const auto& [config, n] : op["configs"].items())
      configs += (configs.empty() ? "" : ", ") + config + " " + std::to_string(n.get<int64_t>());
    fmt::print(out, "{:<20} {:>10} {:>10} {:>10} {:>10.2f} {:>11.6f}  {}\n",
               op["op"].get<std::string>(), op["invocations"].get<int64_t>(),
               op["items_in"].get<int64_t>(), op["items_out"].get<int64_t>(),
               op["busy_s"].get<double>(), op["usd"].get<double>(), configs);
  }
  fmt::print(out,
             "latency {:.2f}s (plan predicted {:.2f}s), ${:.6f}, {:.1f} core-s, {:.1f} GPU-s\n",
             v["latency_s"].get<double>(), v["predicted_latency_s"].get<double>(),
             v["usd"].get<double>(), v["core_s"].get<double>(), v["gpu_s"].get<double>());
  fmt::print(out,
             "{} invocations, {} failed and retried, {} duplicated; {} results, {} late; "
             "decision {:.2f} us median, {:.2f} us p99; simulated in {:.2f}s\n",
             v["invocations"].get<int64_t>(), v["failures"].get<int64_t>(),
             v["duplicates"].get<int64_t>(), v["results"].get<int64_t>(),
             v["late_results"].get<int64_t>(), v["decision_us"]["median"].get<double>(),
             v["decision_us"]["p99"].get<double>(), v["wall_s"].get<double>());
  if (!v["slo_s"].is_null()) {
    double slo = v["slo_s"].get<double>(), latency = v["latency_s"].get<double>();
    if (v["slo_met"].get<bool>())
      fmt::print(out, "SLO {:.2f}s met with {:.2f}s to spare\n", slo, slo - latency);
    else
      fmt::print(out, "SLO {:.2f}s MISSED by {:.2f}s\n", slo, latency - slo);
  }
}

}  // namespace llama::app
