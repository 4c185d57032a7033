#include "cluster/merge_report.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace llama::cluster {

using nlohmann::json;

namespace {

// Adds b into a: numbers summed, objects field by field; anything else kept from a.
void add_into(json& a, const json& b) {
  if (a.is_null()) {
    a = b;
  } else if (a.is_number_integer() && b.is_number_integer()) {
    a = a.get<int64_t>() + b.get<int64_t>();
  } else if (a.is_number() && b.is_number()) {
    a = a.get<double>() + b.get<double>();
  } else if (a.is_object() && b.is_object()) {
    for (const auto& [key, value] : b.items()) add_into(a[key], value);
  }
}

// Per-op entries summed over the tasks, in the pipeline's order.
json merged_ops(const std::vector<json>& reports) {
  json ops = json::array();
  for (const json& report : reports) {
    if (!report.is_object() || !report.contains("ops")) continue;
    for (const json& op : report["ops"]) {
      auto same = std::find_if(ops.begin(), ops.end(),
                               [&](const json& o) { return o["name"] == op["name"]; });
      if (same == ops.end()) {
        ops.push_back(op);
        continue;
      }
      json& into = *same;
      for (const char* key : {"invocations", "items_in", "items_out", "busy_s", "retries",
                              "duplicates", "configs", "cost", "output"})
        if (op.contains(key)) add_into(into[key], op[key]);
      into["max_queue"] = std::max(into.value("max_queue", 0), op.value("max_queue", 0));
      if (into["config"] != op["config"]) into["config"] = "varied by task";
      for (const auto& entry : op.value("set_aside", json::array()))
        into["set_aside"].push_back(entry);
    }
  }
  for (json& op : ops) {
    int64_t n = op.value("invocations", int64_t{0});
    op["mean_invocation_ms"] = n ? 1e3 * op.value("busy_s", 0.0) / n : 0.0;
  }
  return ops;
}

}  // namespace

std::string describe(const TaskSpec& task) {
  const std::string first = task.inputs.empty() ? "" : task.inputs.front();
  if (task.segment)
    return fmt::format("{} from {:.10g}s to {}", first, task.segment->from_s,
                       std::isfinite(task.segment->to_s)
                           ? fmt::format("{:.10g}s", task.segment->to_s)
                           : "the end");
  return fmt::format("{} video{} from {}", task.inputs.size(), task.inputs.size() == 1 ? "" : "s",
                     first);
}

json merged_report(const Manifest& m, const spec::PipelineSpec& pipeline,
                   const std::optional<spec::PriceSheet>& prices, const std::vector<json>& reports,
                   const std::vector<TaskOutcome>& outcomes, bool ends_now) {
  const int tasks = static_cast<int>(m.tasks.size());
  json task_entries = json::array(), videos = json::array(), busy_cost;
  double ended = m.submitted_unix, core_s = 0, gpu_s = 0;
  bool complete = true;
  std::string error;
  json scheduler = {{"decisions", 0}, {"retries", 0}, {"duplicates", 0}};
  for (int t = 0; t < tasks; ++t) {
    const json& report = reports[t];
    std::optional<TaskRecord> record = read_task_record(m.out_dir, t);
    const bool has_report = report.is_object();
    const bool finished =
        has_report && report.value("complete", false) && record && record->exit_code == 0;
    // The submission that ran the task last: its queue wait counts from there.
    double submitted = m.submitted_unix;
    for (const Submission& s : m.submissions)
      if (std::find(s.tasks.begin(), s.tasks.end(), t) != s.tasks.end())
        submitted = s.submitted_unix;
    json entry = {
        {"task", t},
        {"inputs", m.tasks[t].inputs},
        {"frames", m.tasks[t].frames},
        {"segment", m.tasks[t].segment ? json{{"from_s", m.tasks[t].segment->from_s},
                                              {"to_s", std::isfinite(m.tasks[t].segment->to_s)
                                                           ? json(m.tasks[t].segment->to_s)
                                                           : json(nullptr)},
                                              {"warmup_s", m.tasks[t].segment->warmup_s}}
                                       : json(nullptr)},
        {"status", finished ? "complete"
                   : record ? "incomplete"
                            : "never ran"}};
    const TaskOutcome outcome = t < static_cast<int>(outcomes.size()) ? outcomes[t] : TaskOutcome{};
    entry["attempts"] = outcome.attempts;
    if (record) {
      const double end = record->ended_unix > 0 ? record->ended_unix : record->started_unix;
      const double elapsed = std::max(0.0, end - record->started_unix);
      const double run_s = has_report ? report.value("wall_s", 0.0) : 0.0;
      entry["host"] = record->host;
      entry["exit_code"] = record->exit_code;
      entry["queue_wait_s"] = std::max(0.0, record->started_unix - submitted);
      entry["startup_s"] = std::max(0.0, elapsed - run_s);
      entry["run_s"] = run_s;
      // What the task's own plan predicted for its run (none for --static).
      const json& plan = has_report ? report.value("plan", json()) : json();
      if (plan.is_object() && plan.contains("predicted"))
        entry["predicted_run_s"] = plan["predicted"].value("latency_s", 0.0);
      entry["elapsed_s"] = elapsed;
      entry["core_s"] = elapsed * m.slurm.cpus_per_task;
      entry["gpu_s"] = elapsed * m.slurm.gpus_per_task;
      core_s += elapsed * m.slurm.cpus_per_task;
      gpu_s += elapsed * m.slurm.gpus_per_task;
      ended = std::max(ended, end);
    }
    if (has_report) {
      for (const json& v : report.value("videos", json::array())) videos.push_back(v);
      add_into(busy_cost, report.value("cost", json::object()));
      for (const char* key : {"decisions", "retries", "duplicates"})
        add_into(scheduler[key], report["scheduler"].value(key, json(0)));
      entry["objective"] = report.value("objective", "");
    }
    if (!finished) {
      complete = false;
      std::string why = !outcome.failure.empty() ? outcome.failure
                        : has_report             ? report.value("error", "its run did not finish")
                                                 : "it left no report";
      entry["error"] = why;
      if (error.empty())
        error = fmt::format("task {} ({}) did not finish: {}", t, describe(m.tasks[t]), why);
    }
    task_entries.push_back(entry);
  }

  if (ends_now) ended = now_unix();
  const double wall_s = std::max(0.0, ended - m.submitted_unix);
  json usd = nullptr;
  if (prices) usd = core_s * prices->core_second + gpu_s * prices->gpu_second;
  json report = {{"pipeline", pipeline.name},
                 {"pipeline_file", m.pipeline},
                 {"status", complete ? "complete" : "incomplete"},
                 {"complete", complete},
                 {"wall_s", wall_s},
                 {"videos", videos},
                 // What the cluster charges: every task's allocation for its whole life.
                 {"cost", {{"core_s", core_s}, {"gpu_s", gpu_s}, {"usd", usd}}},
                 // What the ops themselves kept busy, as a local run reports it.
                 {"busy_cost", busy_cost.is_null() ? json::object() : busy_cost},
                 {"prices", prices ? json(prices->file) : json(nullptr)},
                 {"objective", reports.empty() || !reports[0].is_object()
                                   ? json("")
                                   : reports[0].value("objective", json(""))},
                 {"scheduler", scheduler},
                 {"plan", nullptr},
                 {"ops", merged_ops(reports)}};
  if (!complete) report["error"] = error;
  if (m.slo_s) {
    report["slo_s"] = *m.slo_s;
    report["slo_met"] = complete && wall_s <= *m.slo_s;
    report["slo_margin_s"] = *m.slo_s - wall_s;
  } else {
    report["slo_s"] = nullptr;
  }
  json job_ids = json::array();
  for (const Submission& s : m.submissions) job_ids.push_back(s.job_id);
  report["cluster"] = {{"scheduler", "slurm"},
                       {"job_ids", job_ids},
                       {"partition", m.slurm.partition},
                       {"cpus_per_task", m.slurm.cpus_per_task},
                       {"gpus_per_task", m.slurm.gpus_per_task},
                       {"plan", m.plan},
                       {"tasks", task_entries}};
  return report;
}

}  // namespace llama::cluster
