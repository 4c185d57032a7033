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
#include "video/video_files.h"

namespace llama::app {

namespace {

struct SimulateOptions {
  std::string pipeline;
  std::string slo;
  bool slo_given = false;
  std::string objective = "slo";
  bool fixed = false;
  std::vector<std::string> inputs;
  std::string store_dir = "profiles";
  std::string prices;
  std::string pool;
  double frames = 0;
  uint64_t seed = 1;
  double fail = 0;
  bool no_feedback = false;
  bool no_auto_profile = false;
  bool json = false;
  bool quiet = false;
};

int simulate(const SimulateOptions& options) {
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
  if (options.frames > 0) model.video.frames = options.frames;
  plan::Plan plan = plan::plan_job(model, objective, slo_s.value_or(0));
  plan::SimOptions so;
  so.seed = options.seed;
  so.failure_rate = options.fail;
  so.feedback = !options.no_feedback;
  so.scheduler.objective = objective;
  plan::SimResult result = plan::simulate(model, plan.choice, slo_s.value_or(0), so);
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
  CLI::Option* slo =
      sub->add_option("--slo", options->slo, "latency target for the whole job (default: slo:)");
  sub->add_option("--objective", options->objective,
                  "slo (cheapest that meets the SLO), fast or cheap (default: slo)");
  sub->add_flag("--static", options->fixed, "every op at the YAML's first knob values");
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
  sub->add_option("--input", options->inputs,
                  "video file or folder of videos, instead of the pipeline's input (repeatable)");
  sub->add_option("--store", options->store_dir, "profile store folder (default: profiles)");
  sub->add_option("--prices", options->prices, "price sheet YAML (default: profiles/prices.yaml)");
  sub->add_flag("--no-auto-profile", options->no_auto_profile,
                "refuse, instead of profiling, when the store lacks what the plan needs");
  sub->add_flag("--json", options->json, "print the result as JSON on stdout");
  sub->add_flag("--quiet,-q", options->quiet, "print nothing on stderr but errors");
  return [options, slo] {
    options->slo_given = slo->count() > 0;
    return simulate(*options);
  };
}

}  // namespace llama::app
