#include "plan_view.h"

#include <cmath>
#include <cstdint>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "profile/knob_space.h"

namespace llama::app {

namespace {

nlohmann::json job_json(const plan::JobEstimate& e) {
  return {{"latency_s", e.latency_s}, {"latency_sd_s", e.latency_sd_s}, {"bound", e.bound},
          {"fill_s", e.fill_s},       {"usd", e.cost.dollars},          {"core_s", e.cost.core_s},
          {"gpu_s", e.cost.gpu_s}};
}

std::string config_text(const nlohmann::json& config) {
  std::string s;
  for (const auto& [knob, value] : config.items())
    if (knob != "batch") s += (s.empty() ? "" : ", ") + knob + "=" + value.get<std::string>();
  return "{" + s + "}";
}

// "0.46s", "16.7s", "1m43.3s": enough digits to compare plans, no more.
std::string seconds(double s) {
  if (s < 10) return fmt::format("{:.2f}s", s);
  if (s < 60) return fmt::format("{:.1f}s", s);
  return fmt::format("{}m{:04.1f}s", static_cast<int64_t>(s / 60), s - 60 * std::floor(s / 60));
}

}  // namespace

nlohmann::json plan_view(const plan::JobModel& model, const plan::Plan& plan) {
  nlohmann::json ops = nlohmann::json::array();
  for (size_t i = 0; i < model.ops.size(); ++i) {
    const plan::OpModel& op = model.ops[i];
    const plan::Choice& c = op.choices[plan.choice[i]];
    const plan::OpEstimate& o = plan.predicted.ops[i];
    nlohmann::json runner = nullptr;
    if (plan.runner_up[i] >= 0) {
      plan::Assignment trial = plan.choice;
      trial[i] = plan.runner_up[i];
      plan::JobEstimate e = plan::estimate(model, trial);
      const plan::Choice& r = op.choices[plan.runner_up[i]];
      runner = {{"config", profile::without_batch(r.config)},
                {"batch", r.batch},
                {"latency_ms", r.latency_ms},
                {"job_latency_s", e.latency_s},
                {"job_usd", e.cost.dollars}};
    }
    ops.push_back({{"op", op.name},
                   {"kind", op.kind},
                   {"config", profile::without_batch(c.config)},
                   {"batch", c.batch},
                   {"latency_ms", c.latency_ms},
                   {"stdev_ms", c.stdev_ms},
                   {"items", o.items_in},
                   {"invocations", o.invocations},
                   {"busy_s", o.busy_s},
                   {"usd", o.cost.dollars},
                   {"core_s", o.cost.core_s},
                   {"runner_up", runner}});
  }
  return {{"pipeline", model.pipeline},
          {"objective", plan::to_string(plan.objective)},
          {"slo_s", plan.slo ? nlohmann::json(plan.slo.seconds()) : nlohmann::json(nullptr)},
          {"feasible", plan.feasible},
          {"pool", {{"cpus", model.pool.cpus}, {"gpus", model.pool.gpus}}},
          {"frames", model.video.frames},
          {"predicted", job_json(plan.predicted)},
          {"fastest", job_json(plan.fastest)},
          {"cheapest", job_json(plan.cheapest)},
          // What --static (the YAML's first values) would do, for report.html's comparison.
          {"static", job_json(plan::estimate(model, plan::first_values(model)))},
          {"ops", ops}};
}

void print_plan_table(std::ostream& out, const nlohmann::json& view) {
  fmt::print(out, "{}: objective {}, pool of {} cpus and {} gpus, {:.0f} frames\n",
             view["pipeline"].get<std::string>(), view["objective"].get<std::string>(),
             view["pool"]["cpus"].get<int>(), view["pool"]["gpus"].get<int>(),
             view["frames"].get<double>());
  fmt::print(out, "{:<20} {:<26} {:>5} {:>9} {:>8} {:>8} {:>10}  {}\n", "op", "config", "batch",
             "ms/call", "calls", "busy s", "cost $", "runner-up (job latency, cost)");
  for (const auto& op : view["ops"]) {
    std::string runner = "-";
    if (!op["runner_up"].is_null()) {
      const auto& r = op["runner_up"];
      runner = fmt::format("{} b{}: {}, ${:.6f}", config_text(r["config"]), r["batch"].get<int>(),
                           seconds(r["job_latency_s"].get<double>()), r["job_usd"].get<double>());
    }
    fmt::print(out, "{:<20} {:<26} {:>5} {:>9.2f} {:>8.0f} {:>8.2f} {:>10.6f}  {}\n",
               op["op"].get<std::string>(), config_text(op["config"]), op["batch"].get<int>(),
               op["latency_ms"].get<double>(), op["invocations"].get<double>(),
               op["busy_s"].get<double>(), op["usd"].get<double>(), runner);
  }
  auto job = [&](const char* what, const nlohmann::json& e) {
    fmt::print(
        out, "{:<10} {} +-{} (bound: {}, first item through in {}), ${:.6f}, {:.1f} core-s\n", what,
        seconds(e["latency_s"].get<double>()), seconds(e["latency_sd_s"].get<double>()),
        e["bound"].get<std::string>(), seconds(e["fill_s"].get<double>()), e["usd"].get<double>(),
        e["core_s"].get<double>());
  };
  job("predicted", view["predicted"]);
  job("fastest", view["fastest"]);
  job("cheapest", view["cheapest"]);
  if (!view["slo_s"].is_null()) {
    double slo = view["slo_s"].get<double>();
    double predicted = view["predicted"]["latency_s"].get<double>();
    if (!view["feasible"].get<bool>())
      fmt::print(out,
                 "SLO {}: below the fastest plan's {}: not feasible on this pool; the plan is "
                 "the cheapest predicted within the fastest's spread\n",
                 seconds(slo), seconds(view["fastest"]["latency_s"].get<double>()));
    else if (predicted <= slo)
      fmt::print(out, "SLO {}: predicted to be met with {} to spare\n", seconds(slo),
                 seconds(slo - predicted));
    else
      fmt::print(out, "SLO {}: predicted to be missed by {}\n", seconds(slo),
                 seconds(predicted - slo));
  }
}

}  // namespace llama::app
