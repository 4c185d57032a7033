// `llama merge OUT`: the tasks' folders of a cluster job (OUT/tasks/N) made into the files a
// local run writes in OUT: every sink's records in the job's order, every other output, and
// report.json (with, per task, its latency, queue wait, start-up and allocated cost).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cluster/manifest.h"
#include "spec/pipeline_spec.h"
#include "spec/price_sheet.h"

namespace llama::cluster {

struct MergeResult {
  bool complete = false;        // every task finished its run
  std::vector<int> unfinished;  // tasks whose results are partial or missing
  std::string report_path;
  nlohmann::json report;
};

// Why a task did not finish, for the report and the error (filled in by whoever watched it).
struct TaskOutcome {
  int attempts = 0;
  std::string failure;  // "" when it finished
};

// Reads the tasks' folders and records (never changes them) and writes OUT's. A task that
// did not finish still gives what it flushed; the report then says incomplete and names it.
// `ends_now`: the job ends with this merge (llama run --cluster), so its wall_s runs until
// the merge is done, the last poll included; else (llama merge by hand) to the last task's end.
MergeResult merge_job(const Manifest& manifest, const spec::PipelineSpec& pipeline,
                      const std::optional<spec::PriceSheet>& prices,
                      const std::vector<TaskOutcome>& outcomes = {}, bool ends_now = false);

}  // namespace llama::cluster
