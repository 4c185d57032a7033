// report.html: the run to look at, one self-contained file beside report.json (inline SVG
// and CSS, no script, nothing fetched). A header (pipeline, inputs, SLO met or not, latency,
// cost, plan, warnings) and charts: pace against the deadline, a timeline of invocations per
// CPU slot and GPU stream, cost and ms per invocation per op against the plan's prediction,
// and the configs chosen over time. The timeline and the decisions need the run's trace
// (llama run --trace); without it they say so.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace llama::report {

// `report`: report.json's object; `trace`: the Chrome trace (null for none).
std::string build_html_report(const nlohmann::json& report, const nlohmann::json* trace);

// The run's progress samples (seconds, frames read) as report.json keeps them: at most a few
// hundred points, the last at `wall_s`.
nlohmann::json progress_samples(const std::vector<std::pair<double, int64_t>>& samples,
                                double wall_s);

// Written atomically, beside report.json. Throws Error(output) naming the file.
void write_html_report(const std::string& path, const std::string& html);

}  // namespace llama::report
