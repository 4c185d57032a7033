// llama simulate PIPELINE: the job played on a virtual clock from this machine's profiles, on
// a pool that may not be this machine (--pool cpus=64,gpus=4), for as many frames as asked:
// what the scheduler would do, how long it would take and what it would cost.
#include <iostream>
#include <memory>

#include "base/error.h"
#include "commands.h"
#include "graph/graph.h"
#include "ops/registry.h"
#include "planning.h"
#include "sim_view.h"

namespace llama::app {

namespace {

struct SimulateOptions {
  std::string pipeline;
  PlanFlags plan;
  std::string pool;
  double frames = 0;
  uint64_t seed = 1;
  double fail = 0;
  bool no_feedback = false;
  bool no_duplicates = false;
  bool json = false;
};

int simulate(const SimulateOptions& options) {
  graph::Pipeline pipeline =
      graph::load_pipeline(options.pipeline, ops::builtin_registry().catalog());
  PlanRequest request = plan_request(options.plan, pipeline, options.pipeline, true);
  plan::JobModel model = job_model_for(pipeline, request, options.pool);
  if (options.frames > 0) model.video.frames = options.frames;
  double slo_s = request.slo_s.value_or(0);
  plan::Plan plan = plan::plan_job(model, request.objective, slo_s);
  plan::SimOptions so;
  so.seed = options.seed;
  so.failure_rate = options.fail;
  so.feedback = !options.no_feedback;
  so.duplicate_stragglers = !options.no_duplicates;
  so.scheduler.objective = plan::runtime_objective(plan);
  plan::SimResult result = plan::simulate(model, plan.choice, slo_s, so);
  nlohmann::json view = sim_view(model, plan, result, options.seed);
  if (options.json)
    std::cout << view.dump(2) << "\n";
  else
    print_sim_table(std::cout, view);
  return 0;
}

}  // namespace

Command add_simulate_command(CLI::App& app) {
  auto options = std::make_shared<SimulateOptions>();
  CLI::App* sub = app.add_subcommand(
      "simulate", "Play the job on a virtual clock from the profiles, on any pool");
  sub->add_option("pipeline", options->pipeline, "pipeline YAML file")->required();
  CLI::Option* slo = add_plan_flags(sub, options->plan);
  sub->add_option("--pool", options->pool,
                  "the pool to simulate, e.g. cpus=64,gpus=4 (default: this machine)");
  sub->add_option("--frames", options->frames,
                  "frames in the job (default: the input's), e.g. 1000000")
      ->check(CLI::Range(1.0, 1e10));
  sub->add_option("--seed", options->seed, "seed of the latency draws (default 1)");
  sub->add_option("--fail", options->fail,
                  "share of invocations that fail and are retried, e.g. 0.03 (default 0)")
      ->check(CLI::Range(0.0, 0.5));
  sub->add_flag("--no-feedback", options->no_feedback,
                "keep the profiles' estimates: no online updates from what the run observes");
  sub->add_flag("--no-duplicates", options->no_duplicates,
                "run no second copy of an invocation that straggles");
  sub->add_flag("--json", options->json, "print the result as JSON on stdout");
  return [options, slo] {
    options->plan.slo_given = slo->count() > 0;
    return simulate(*options);
  };
}

}  // namespace llama::app
