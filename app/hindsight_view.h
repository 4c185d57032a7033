// llama explain --hindsight OUT: the hindsight oracle (runtime/hindsight.h) for the run in
// OUT, from the trace its report names; adds hindsight_cost_usd, regret and hindsight to
// OUT/report.json and prints the oracle's plan beside the run's cost.
#pragma once

#include <string>

namespace llama::app {

int explain_hindsight(const std::string& out_dir, bool json);

}  // namespace llama::app
