#include "report/trace.h"

#include <cmath>
#include <set>

#include "report/run_report.h"

namespace llama::report {

namespace {

// JSON has no infinity: "none" reads better in the slice's arguments than a sentinel.
nlohmann::json seconds_or_none(double s) {
  return std::isfinite(s) ? nlohmann::json(s) : nlohmann::json("none");
}

}  // namespace

nlohmann::json build_trace(const std::string& pipeline, const exec::RunResult& result) {
  nlohmann::json events = nlohmann::json::array();
  // A GPU invocation goes on its worker's GPU-stream track (tid 1000 + worker): a worker
  // drives one stream at a time, so the tracks never overlap.
  std::set<int> tracks;
  for (const exec::InvocationRecord& r : result.invocations) {
    int tid = r.gpu ? 1000 + r.worker : r.worker;
    tracks.insert(tid);
    events.push_back({{"name", r.op},
                      {"cat", r.gpu ? "gpu" : "cpu"},
                      {"ph", "X"},
                      {"pid", 1},
                      {"tid", tid},
                      {"ts", r.start_s * 1e6},
                      {"dur", (r.end_s - r.start_s) * 1e6},
                      {"args",
                       {{"config", r.config},
                        {"batch", r.items},
                        {"slack_s", seconds_or_none(r.slack_s)},
                        {"deadline_s", seconds_or_none(r.deadline_s)}}}});
  }
  events.push_back({{"name", "process_name"},
                    {"ph", "M"},
                    {"pid", 1},
                    {"args", {{"name", "llama run " + pipeline}}}});
  for (int tid : tracks)
    events.push_back(
        {{"name", "thread_name"},
         {"ph", "M"},
         {"pid", 1},
         {"tid", tid},
         {"args",
          {{"name", tid >= 1000 ? "GPU stream (worker " + std::to_string(tid - 1000) + ")"
                                : "CPU slot " + std::to_string(tid)}}}});
  // Perfetto ignores keys it does not know; llama simulate --replay reads this one.
  return {{"traceEvents", events}, {"displayTimeUnit", "ms"}, {"llamaReplay", result.journal}};
}

void write_trace(const std::string& path, const nlohmann::json& trace) {
  write_report(path, trace);  // same atomic write; the error names the path
}

}  // namespace llama::report
