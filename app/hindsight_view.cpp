#include "hindsight_view.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "base/error.h"
#include "profile/knob_space.h"
#include "report/run_report.h"
#include "runtime/hindsight.h"

namespace llama::app {

namespace {

nlohmann::json read_json(const std::string& path, const std::string& what_fix) {
  std::ifstream in(path);
  if (!in) throw Error(ExitCode::bad_input, path + ": cannot open it (" + what_fix + ")");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw Error(ExitCode::bad_input, path + ": not valid JSON (" + what_fix + ")");
  return j;
}

}  // namespace

int explain_hindsight(const std::string& out_dir, bool json) {
  const std::string report_path = (std::filesystem::path(out_dir) / "report.json").string();
  nlohmann::json report = read_json(report_path, "is it the --out of a llama run?");
  if (!report.contains("trace") || !report["trace"].is_string())
    throw Error(ExitCode::bad_input,
                report_path +
                    ": the run kept no trace, and hindsight replays its latencies; "
                    "run it again with --trace FILE");
  const std::string trace_path = report["trace"];
  nlohmann::json trace = read_json(trace_path, "the trace llama run --trace wrote");
  if (!trace.contains("llamaReplay") || trace["llamaReplay"].is_null())
    throw Error(ExitCode::bad_input, trace_path +
                                         ": the trace has no replay journal; run the "
                                         "job again with llama run --trace");
  runtime::Hindsight h = runtime::hindsight(trace["llamaReplay"], trace_path);

  const nlohmann::json& cost = report["cost"]["usd"];
  double run_usd = cost.is_number() ? cost.get<double>() : 0;
  nlohmann::json view = {{"slo_s", h.slo ? nlohmann::json(h.slo.seconds()) : nlohmann::json()},
                         {"plans_considered", h.plans.size()},
                         {"calls_measured", h.calls_measured},
                         {"run_usd", cost},
                         {"best", nullptr},
                         {"plans", nlohmann::json::array()}};
  for (const runtime::HindsightPlan& p : h.plans)
    view["plans"].push_back({{"latency_s", p.latency_s}, {"usd", p.usd}, {"met", p.met}});
  nlohmann::json hindsight_usd, regret;
  if (h.best >= 0) {
    const runtime::HindsightPlan& best = h.plans[h.best];
    nlohmann::json configs = nlohmann::json::object();
    for (size_t i = 0; i < h.model.ops.size(); ++i) {
      const plan::Choice& c = h.model.ops[i].choices[best.choice[i]];
      configs[h.model.ops[i].name] =
          profile::format_config(profile::without_batch(c.config)) + " b" + std::to_string(c.batch);
    }
    view["best"] = {{"latency_s", best.latency_s}, {"usd", best.usd}, {"configs", configs}};
    hindsight_usd = best.usd;
    if (run_usd > 0 && best.usd > 0) regret = run_usd / best.usd;
  }
  view["regret"] = regret;
  report["hindsight_cost_usd"] = hindsight_usd;
  report["regret"] = regret;
  report["hindsight"] = view;
  report::write_report(report_path, report);

  if (json) {
    std::cout << view.dump(2) << "\n";
    return 0;
  }
  std::string slo = h.slo ? "SLO " + h.slo.to_string() : "no SLO";
  if (h.best < 0) {
    fmt::print(
        "hindsight ({}): none of the {} plans considered met it on the run's measured "
        "latencies\n",
        slo, h.plans.size());
    return 0;
  }
  const runtime::HindsightPlan& best = h.plans[h.best];
  fmt::print(
      "hindsight ({}; plans considered: {}; measured calls: {}): the cheapest plan "
      "that met it\n",
      slo, h.plans.size(), h.calls_measured);
  for (const plan::OpModel& op : h.model.ops)
    fmt::print("  {:<20} {}\n", op.name, view["best"]["configs"][op.name].get<std::string>());
  fmt::print("  latency {:.2f}s, ${:.7f}\n", best.latency_s, best.usd);
  if (regret.is_number())
    fmt::print("the run: ${:.7f}, {:.3f}x the oracle (regret)\n", run_usd, regret.get<double>());
  return 0;
}

}  // namespace llama::app
