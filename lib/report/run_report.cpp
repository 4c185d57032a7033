#include "report/run_report.h"

#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "base/error.h"
#include "plan/cost_model.h"
#include "spec/duration.h"

namespace llama::report {

std::optional<bool> slo_met(const RunInfo& info, const exec::RunResult& result) {
  if (!info.slo) return std::nullopt;
  return result.complete && result.wall_s <= info.slo.seconds();
}

namespace {

// What an op spent: each invocation's resources for the time it ran (the executor sums
// them, since configs change between invocations). Idle time between invocations is not
// charged: the pool could lend those cores to other ops.
plan::Cost op_cost(const RunInfo& info, const exec::OpStats& s) {
  plan::Cost c;
  c.core_s = s.core_s;
  c.gpu_s = s.gpu_s;
  if (info.prices)
    c.dollars =
        s.core_s * info.prices->core_second + s.gpu_s * info.prices->gpu_second_for(info.gpu_name);
  return c;
}

nlohmann::json cost_json(const RunInfo& info, const plan::Cost& c) {
  return {{"core_s", c.core_s},
          {"gpu_s", c.gpu_s},
          {"usd", info.prices ? nlohmann::json(c.dollars) : nlohmann::json(nullptr)}};
}

}  // namespace

nlohmann::json build_report(const RunInfo& info, const exec::RunResult& result) {
  std::map<std::string, double> predicted_ms;
  if (info.plan.is_object())
    for (const auto& op : info.plan["ops"])
      predicted_ms[op["op"].get<std::string>()] = op["latency_ms"].get<double>();
  nlohmann::json ops = nlohmann::json::array();
  plan::Cost total;
  int64_t retries = 0, duplicates = 0;
  for (const exec::OpStats& s : result.ops) {
    retries += s.retries;
    duplicates += s.duplicates;
    plan::Cost cost = op_cost(info, s);
    total += cost;
    ops.push_back({{"name", s.name},
                   {"op", s.kind},
                   {"config", s.config},
                   {"configs", s.configs},
                   {"invocations", s.invocations},
                   {"items_in", s.items_in},
                   {"items_out", s.items_out},
                   {"busy_s", s.busy_s},
                   {"max_queue", s.max_queue},
                   {"retries", s.retries},
                   {"duplicates", s.duplicates},
                   {"set_aside", s.set_aside},
                   {"mean_invocation_ms", s.invocations ? 1e3 * s.busy_s / s.invocations : 0.0},
                   {"cost", cost_json(info, cost)},
                   {"output", s.summary}});
    auto predicted = predicted_ms.find(s.name);
    ops.back()["predicted_invocation_ms"] = predicted == predicted_ms.end()
                                                ? nlohmann::json(nullptr)
                                                : nlohmann::json(predicted->second);
  }
  nlohmann::json videos = nlohmann::json::array();
  for (const auto& v : result.videos)
    videos.push_back({{"path", v.path},
                      {"frames_decoded", v.frames_decoded},
                      {"truncated", v.truncated},
                      {"reason", v.reason}});
  nlohmann::json report = {
      {"pipeline", info.pipeline_name},
      {"pipeline_file", info.pipeline_file},
      {"status", result.complete ? "complete" : "incomplete"},
      {"complete", result.complete},
      {"wall_s", result.wall_s},
      {"videos", videos},
      {"cost", cost_json(info, total)},
      {"prices", info.prices ? nlohmann::json(info.prices->file) : nlohmann::json(nullptr)},
      {"objective", info.objective},
      {"scheduler",
       {{"decisions", result.decisions},
        {"decision_us_median", result.decision_us_median},
        {"decision_us_p99", result.decision_us_p99},
        {"retries", retries},
        {"duplicates", duplicates}}},
      {"plan", info.plan},
      {"ops", ops},
      {"resumed_from", result.resumed_from},
      {"checkpoints", {{"count", result.checkpoints}, {"seconds", result.checkpoint_s}}}};
  if (!result.complete) report["error"] = result.error;
  if (info.slo) {
    report["slo_s"] = info.slo.seconds();
    report["slo_met"] = *slo_met(info, result);
    report["slo_margin_s"] = info.slo.seconds() - result.wall_s;
  } else {
    report["slo_s"] = nullptr;
    report["slo_met"] = nullptr;
  }
  return report;
}

nlohmann::json unfinished_report(const RunInfo& info) {
  exec::RunResult started;
  started.complete = false;
  started.failure = ExitCode::internal;
  started.error =
      "the run started but did not finish writing its report (killed, or the disk filled); "
      "the results in this folder are partial";
  return build_report(info, started);
}

void write_report(const std::string& path, const nlohmann::json& report) {
  std::string temp = path + ".tmp";
  {
    // A link left at the temporary name would be written through; the rename below replaces
    // a link at `path` itself rather than following it.
    std::error_code ignored;
    if (std::filesystem::is_symlink(temp, ignored)) std::filesystem::remove(temp, ignored);
    std::ofstream out(temp, std::ios::trunc);
    out << report.dump(2) << '\n';
    out.close();
    if (!out) {
      std::filesystem::remove(temp, ignored);
      throw Error(ExitCode::output,
                  temp + ": cannot write it (is the folder writable, and the disk not full?)");
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    throw Error(ExitCode::output, path + ": cannot write it (" + ec.message() + ")");
  }
}

void print_table(std::ostream& out, const RunInfo& info, const exec::RunResult& result) {
  fmt::print(out, "{:<16} {:<14} {:>8} {:>9} {:>9} {:>9} {:>10} {:>9}\n", "op", "kind", "calls",
             "in", "out", "busy s", "ms/call", "core s");
  plan::Cost total;
  for (const exec::OpStats& s : result.ops) {
    plan::Cost cost = op_cost(info, s);
    total += cost;
    fmt::print(out, "{:<16} {:<14} {:>8} {:>9} {:>9} {:>9.2f} {:>10.2f} {:>9.2f}\n", s.name, s.kind,
               s.invocations, s.items_in, s.items_out, s.busy_s,
               s.invocations ? 1e3 * s.busy_s / s.invocations : 0.0, cost.core_s);
  }
  fmt::print(out, "cost: {:.2f} core-s, {:.2f} GPU-s", total.core_s, total.gpu_s);
  if (info.prices)
    fmt::print(out, ", ${:.6f} at {}\n", total.dollars, info.prices->file);
  else
    fmt::print(out, " (no price sheet: pass --prices FILE for dollars)\n");
  std::string status = result.complete ? "complete" : "INCOMPLETE";
  fmt::print(out, "{}: {} in {:.2f}s", info.pipeline_name, status, result.wall_s);
  if (!result.complete && info.slo)
    fmt::print(out, ", SLO {} not met (the run did not finish)", info.slo.to_string());
  else if (auto met = slo_met(info, result))
    fmt::print(out, ", SLO {} {}", info.slo.to_string(), *met ? "met" : "MISSED");
  fmt::print(out, "; results in {}\n", info.out_dir);
}

}  // namespace llama::report
