// What resources cost: $ per CPU core-second and per GPU-second, read from a YAML price sheet
// (profiles/prices.yaml, or --prices FILE), so reports can say what a job spent in dollars.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace llama::spec {

struct PriceSheet {
  std::string file;        // where the prices came from
  std::string source;      // the sheet's own note on where its numbers come from
  double core_second = 0;  // $ per CPU core held for one second
  double gpu_second = 0;   // $ per GPU-second for a GPU not named in gpu_by_name
  // GPU name fragment ("H100", "L4") -> $ per GPU-second; the first fragment the device's
  // name contains wins.
  std::vector<std::pair<std::string, double>> gpu_by_name;

  double gpu_second_for(const std::string& gpu_name) const;
};

// Throws Error(bad_spec) listing every problem as file:line:col: error: ... (fix).
PriceSheet load_price_sheet(const std::string& path);
PriceSheet load_price_sheet_text(const std::string& text, const std::string& file);

}  // namespace llama::spec
