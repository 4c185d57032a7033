// What `llama profile --show` prints: the store's numbers for one pipeline's ops (latency per
// op x config x batch), and the pipeline's fan-out and branch rates. Built as one JSON
// object so the table and `--json` can never disagree.
#pragma once

#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "profile/profiler.h"
#include "profile/store.h"

namespace llama::app {

// {"pipeline", "store", "machine", "entries": [{op, kind, config, batch, mean_ms, p95_ms, n,
//  measured_at}], "missing": count of (config, batch) pairs not in the store,
//  "fanout": [{op, mean, p95, n}], "branches": [{op, when, taken, seen, rate}]}
nlohmann::json profile_view(const graph::Pipeline& pipeline,
                            const std::vector<profile::OpTarget>& targets,
                            const profile::ProfileStore& store);

void print_profile_table(std::ostream& out, const nlohmann::json& view);

}  // namespace llama::app
