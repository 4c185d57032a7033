// llama explain PIPELINE: the plan `llama run` would start from, without running it: per op
// the chosen config, its predicted latency and cost and the runner-up; the job's predicted
// latency and cost next to the fastest and the cheapest plans'. `--hindsight OUT`: what the
// run in OUT would have cost on the cheapest plan that met its SLO (hindsight_view.h).
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "base/error.h"
#include "cluster_run.h"
#include "commands.h"
#include "graph/graph.h"
#include "hindsight_view.h"
#include "ops/registry.h"
#include "plan_view.h"
#include "planning.h"

namespace llama::app {

namespace {

struct ExplainOptions {
  std::string pipeline;
  PlanFlags plan;
  std::string pool;
  bool json = false;
  std::string hindsight;  // an --out folder
  ClusterFlags cluster;
};

// --cluster slurm: the task count chosen, next to every other the split allows.
int explain_cluster(const ExplainOptions& options, const graph::Pipeline& pipeline,
                    PlanRequest& request) {
  if (options.plan.fixed)
    throw Error(ExitCode::usage,
                "--static with --cluster slurm: there are no profiles to size "
                "the job by; it runs --max-tasks tasks");
  ClusterJob job = plan_cluster_job(pipeline, request, options.plan, options.cluster);
  nlohmann::json view = cluster_plan_json(*job.plan, job.model);
  view["objective"] = plan::to_string(request.objective);
  view["slo_s"] = request.slo ? nlohmann::json(request.slo.seconds()) : nlohmann::json(nullptr);
  view["cpus_per_task"] = options.cluster.cpus_per_task;
  view["gpus_per_task"] = options.cluster.gpus_per_task;
  view["partition"] = options.cluster.partition;
  if (options.json) {
    std::cout << view.dump(2) << "\n";
    return 0;
  }
  const cluster::ClusterPlan& plan = *job.plan;
  const cluster::ClusterModel& m = job.model;
  std::cout << fmt::format(
      "Slurm plan ({}{}): {} task{} x {} cpu{}{}, predicted {:.1f}s{}\n",
      plan::to_string(request.objective), request.slo ? ", SLO " + request.slo.to_string() : "",
      plan.chosen.tasks, plan.chosen.tasks == 1 ? "" : "s", m.cpus_per_task,
      m.cpus_per_task == 1 ? "" : "s",
      m.gpus_per_task ? fmt::format(" + {} GPU", m.gpus_per_task) : "", plan.chosen.latency_s,
      plan.feasible ? "" : " (no task count meets the SLO: the fastest)");
  std::cout << fmt::format(
      "  a task: runs the fast plan on its cpus ({:.1f}s for the longest chosen, "
      "x{:.2f} measured pace), start-up {:.1f}s, queue {:.1f}s ({}), {}\n",
      plan.chosen.longest_run_s, m.overheads.run_ratio, m.overheads.startup_s, m.overheads.queue_s,
      m.overheads.samples
          ? fmt::format("medians of {} tasks run on this partition", m.overheads.samples)
          : "assumed: no cluster run on this partition yet",
      m.tasks_at_once ? fmt::format("{} at once on the partition", m.tasks_at_once)
                      : "partition width unknown");
  std::cout << "  tasks  latency      core-s      GPU-s  cost\n";
  for (const cluster::ClusterCandidate& c : plan.curve) {
    std::string marks;
    if (c.tasks == plan.chosen.tasks) marks += " <- chosen";
    if (c.tasks == plan.fastest.tasks) marks += " (fast)";
    if (c.tasks == plan.cheapest.tasks) marks += " (cheap)";
    std::cout << fmt::format("  {:>5}  {:>7.1f}s  {:>9.1f}  {:>9.1f}  {}{}\n", c.tasks, c.latency_s,
                             c.core_s, c.gpu_s, c.usd > 0 ? fmt::format("${:.6f}", c.usd) : "-",
                             marks);
  }
  return 0;
}

int explain(const ExplainOptions& options) {
  if (!options.hindsight.empty()) return explain_hindsight(options.hindsight, options.json);
  if (options.pipeline.empty())
    throw Error(ExitCode::usage, "llama explain: give a pipeline YAML file, or --hindsight OUT");
  graph::Pipeline pipeline =
      graph::load_pipeline(options.pipeline, ops::builtin_registry().catalog());
  PlanRequest request =
      plan_request(options.plan, pipeline, options.pipeline, options.cluster.cluster.empty());
  if (!options.cluster.cluster.empty()) return explain_cluster(options, pipeline, request);
  plan::JobModel model = job_model_for(pipeline, request, options.pool);
  plan::Plan plan = plan::plan_job(model, request.objective, request.slo);
  nlohmann::json view = plan_view(model, plan);
  if (options.json)
    std::cout << view.dump(2) << "\n";
  else
    print_plan_table(std::cout, view);
  return 0;
}

}  // namespace

Command add_explain_command(CLI::App& app) {
  auto options = std::make_shared<ExplainOptions>();
  CLI::App* sub = app.add_subcommand(
      "explain", "Show the plan llama run would start from: config, latency and cost per op");
  CLI::Option* pipeline = sub->add_option("pipeline", options->pipeline, "pipeline YAML file");
  CLI::Option* slo = add_plan_flags(sub, options->plan);
  sub->add_option("--pool", options->pool,
                  "plan for another pool, e.g. cpus=64,gpus=4 (default: this machine)");
  sub->add_option("--hindsight", options->hindsight,
                  "for the run in OUT (kept with --trace): the cheapest plan that would have met "
                  "its SLO on the latencies it measured, and the run's cost over it (regret)")
      ->excludes(pipeline);
  sub->add_flag("--json", options->json, "print the plan as JSON on stdout");
  add_cluster_flags(sub, options->cluster);
  return [options, slo] {
    options->plan.slo_given = slo->count() > 0;
    return explain(*options);
  };
}

}  // namespace llama::app
