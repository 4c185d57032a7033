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
#include "video/video_files.h"

namespace llama::app {

namespace {

struct ExplainOptions {
  std::string pipeline;
  std::string slo;
  bool slo_given = false;
  std::string objective = "slo";
  bool fixed = false;
  std::vector<std::string> inputs;
  std::string store_dir = "profiles";
  std::string prices;
  std::string pool;
  bool no_auto_profile = false;
  bool json = false;
  bool quiet = false;
};

int explain(const ExplainOptions& options) {
  std::optional<double> slo_s;
  if (options.slo_given) slo_s = parse_slo(options.slo);
  plan::Objective objective =
      options.fixed ? plan::Objective::fixed : parse_objective(options.objective);

  const ops::OpRegistry& registry = ops::builtin_registry();
  graph::Pipeline pipeline = graph::load_pipeline(options.pipeline, registry.catalog());
  if (!slo_s) slo_s = pipeline.spec.slo_s;
  if (objective == plan::Objective::slo && !slo_s)
    throw Error(ExitCode::usage, options.pipeline +
                                     " has no slo: and no --slo was given; pass --slo (e.g. "
                                     "--slo 2m) or pick --objective fast or cheap");

  PlanningOptions po;
  po.pipeline_file = options.pipeline;
  po.videos =
      options.inputs.empty() ? pipeline.spec.inputs : video::expand_video_inputs(options.inputs);
  if (po.videos.empty())
    throw Error(ExitCode::bad_input,
                "no input video: the pipeline has no 'input' and no --input was given "
                "(add input: <video> to the pipeline, or pass --input VIDEO)");
  po.store_dir = options.store_dir;
  po.auto_profile = !options.no_auto_profile;
  if (!options.pool.empty()) po.pool = parse_pool(options.pool);
  po.quiet = options.quiet;
  spec::PriceSheet prices = find_prices(options.prices).value_or(spec::PriceSheet{});

  plan::JobModel model = load_job_model(pipeline, prices, po);
  plan::Plan plan = plan::plan_job(model, objective, slo_s.value_or(0));
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
  CLI::Option* slo =
      sub->add_option("--slo", options->slo, "latency target for the whole job (default: slo:)");
  sub->add_option("--objective", options->objective,
                  "slo (cheapest plan that meets the SLO), fast or cheap (default: slo)");
  sub->add_flag("--static", options->fixed, "every op at the YAML's first knob values");
  sub->add_option("--input", options->inputs,
                  "video file or folder of videos, instead of the pipeline's input (repeatable)");
  sub->add_option("--store", options->store_dir, "profile store folder (default: profiles)");
  sub->add_option("--prices", options->prices,
                  "price sheet YAML (default: profiles/prices.yaml)");
  sub->add_option("--pool", options->pool,
                  "plan for another pool, e.g. cpus=64,gpus=4 (default: this machine)");
  sub->add_flag("--no-auto-profile", options->no_auto_profile,
                "refuse, instead of profiling, when the store lacks what the plan needs");
  sub->add_flag("--json", options->json, "print the plan as JSON on stdout");
  sub->add_flag("--quiet,-q", options->quiet, "print nothing on stderr but errors");
  return [options, slo] {
    options->slo_given = slo->count() > 0;
    return explain(*options);
  };
}

}  // namespace llama::app
