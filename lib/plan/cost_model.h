// What an invocation costs: the resources its config holds, for as long as it runs, at the
// price sheet's rates. The planner compares configs with it; the report sums what was spent.
#pragma once

#include <map>
#include <string>

#include "spec/price_sheet.h"

namespace llama::plan {

struct Resources {
  double cores = 1;  // CPU cores held (an op's `threads`, 1 when it has none)
  int gpus = 0;
};

// `threads` cores (1 without a threads knob); `device: cuda` holds one GPU as well, and one
// core to drive it when no threads are given.
Resources resources_of(const std::map<std::string, std::string>& config);

struct Cost {
  double core_s = 0;  // core-seconds
  double gpu_s = 0;   // GPU-seconds
  double dollars = 0;
  Cost& operator+=(const Cost& other);
};

// `gpu_name` picks the GPU's price from the sheet ("" for the sheet's default).
Cost cost_of(const Resources& held, double seconds, const spec::PriceSheet& prices,
             const std::string& gpu_name = "");

}  // namespace llama::plan
