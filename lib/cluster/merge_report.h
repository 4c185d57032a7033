// report.json of a cluster job, from its tasks' reports and records: one report as a local
// run's reads (status, videos, per-op counts and busy cost), with the cluster's view added:
// the cost of what was allocated (every task's cpus and GPUs for its whole life, start-up
// and idle included), and per task its queue wait, start-up and run.
#pragma once

#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "cluster/manifest.h"
#include "cluster/merge.h"
#include "spec/pipeline_spec.h"
#include "spec/price_sheet.h"

namespace llama::cluster {

// "3 videos from a.mp4", "long.mp4 from 60s to 120s": a task as its errors name it.
std::string describe(const TaskSpec& task);

// `reports[t]` is task t's report.json, null where it has none.
nlohmann::json merged_report(const Manifest& manifest, const spec::PipelineSpec& pipeline,
                             const std::optional<spec::PriceSheet>& prices,
                             const std::vector<nlohmann::json>& reports,
                             const std::vector<TaskOutcome>& outcomes, bool ends_now);

}  // namespace llama::cluster
