// llama explain PIPELINE: the plan `llama run` would start from, without running it: per op
// the chosen config, its predicted latency and cost and the runner-up; the job's predicted
// latency and cost next to the fastest and the cheapest plans'.
#include <iostream>
#include <memory>

#include "base/error.h"
#include "commands.h"
#include "graph/graph.h"
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
};

int explain(const ExplainOptions& options) {
  graph::Pipeline pipeline =
      graph::load_pipeline(options.pipeline, ops::builtin_registry().catalog());
  PlanRequest request = plan_request(options.plan, pipeline, options.pipeline, true);
  plan::JobModel model = job_model_for(pipeline, request, options.pool);
  plan::Plan plan = plan::plan_job(model, request.objective, request.slo_s.value_or(0));
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
  sub->add_option("pipeline", options->pipeline, "pipeline YAML file")->required();
  CLI::Option* slo = add_plan_flags(sub, options->plan);
  sub->add_option("--pool", options->pool,
                  "plan for another pool, e.g. cpus=64,gpus=4 (default: this machine)");
  sub->add_flag("--json", options->json, "print the plan as JSON on stdout");
  return [options, slo] {
    options->plan.slo_given = slo->count() > 0;
    return explain(*options);
  };
}

}  // namespace llama::app
