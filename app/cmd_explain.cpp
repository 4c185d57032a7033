// llama explain PIPELINE: the plan `llama run` would start from, without running it: per op
// the chosen config, its predicted latency and cost and the runner-up; the job's predicted
// latency and cost next to the fastest and the cheapest plans'. `--hindsight OUT`: what the
// run in OUT would have cost on the cheapest plan that met its SLO (hindsight_view.h).
#include <iostream>
#include <memory>

#include "base/error.h"
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
};

int explain(const ExplainOptions& options) {
  if (!options.hindsight.empty()) return explain_hindsight(options.hindsight, options.json);
  if (options.pipeline.empty())
    throw Error(ExitCode::usage, "llama explain: give a pipeline YAML file, or --hindsight OUT");
  graph::Pipeline pipeline =
      graph::load_pipeline(options.pipeline, ops::builtin_registry().catalog());
  PlanRequest request = plan_request(options.plan, pipeline, options.pipeline, true);
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
  return [options, slo] {
    options->plan.slo_given = slo->count() > 0;
    return explain(*options);
  };
}

}  // namespace llama::app
