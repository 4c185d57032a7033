// The run's report: report.json for machines, a table on stderr for people, and the
// one-object summary that `llama run --json` prints.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "exec/executor.h"
#include "spec/latency_target.h"
#include "spec/price_sheet.h"

namespace llama::report {

struct RunInfo {
  std::string pipeline_file;
  std::string pipeline_name;
  std::string out_dir;
  spec::LatencyTarget slo;
  // Rates for the cost report; without a sheet the report gives resource-seconds only.
  std::optional<spec::PriceSheet> prices;
  std::string gpu_name;              // picks the GPU's price; "" for the sheet's default
  std::string objective = "static";  // slo, fast, cheap, or static (the YAML's first values)
  // The plan the run started from (llama explain's JSON), null for a static run; each op's
  // entry in the report then also gives its predicted ms per invocation.
  nlohmann::json plan;
};

// Did the run meet its SLO? nullopt when there was none.
std::optional<bool> slo_met(const RunInfo& info, const exec::RunResult& result);

nlohmann::json build_report(const RunInfo& info, const exec::RunResult& result);

// Written atomically (temp file + rename), so a reader never sees half a report.
void write_report(const std::string& path, const nlohmann::json& report);

// The report a run leaves before it starts: status incomplete, saying it never finished. The
// final report replaces it; where that cannot be written (a full disk, a kill -9), this one
// still tells whoever reads --out that the results there are partial.
nlohmann::json unfinished_report(const RunInfo& info);

void print_table(std::ostream& out, const RunInfo& info, const exec::RunResult& result);

}  // namespace llama::report
