// llama simulate PIPELINE: the job played on a virtual clock from this machine's profiles, on
// a pool that may not be this machine (--pool cpus=64,gpus=4), for as many frames as asked:
// what the scheduler would do, how long it would take and what it would cost.
// llama simulate --replay TRACE: a recorded run's journal fed back through the runtime core
// (runtime/replay.h), to show it decides every call as the run did.
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <memory>

#include "base/error.h"
#include "cluster_sim.h"
#include "commands.h"
#include "graph/graph.h"
#include "ops/registry.h"
#include "planning.h"
#include "runtime/replay.h"
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
  std::string replay;  // a trace written by llama run --trace
};

int replay(const SimulateOptions& options) {
  const std::string& file = options.replay;
  std::ifstream in(file);
  if (!in)
    throw Error(
        ExitCode::bad_input,
        file + ": cannot open the trace to replay (record one with llama run --trace FILE)");
  nlohmann::json trace = nlohmann::json::parse(in, nullptr, false);
  if (trace.is_discarded() || !trace.is_object())
    throw Error(ExitCode::bad_input,
                file + ": not a JSON trace (record one with llama run --trace)");
  if (!trace.contains("llamaReplay") || trace["llamaReplay"].is_null())
    throw Error(ExitCode::bad_input, file +
                                         ": the trace has no replay journal (written by an older "
                                         "llama?); record the run again with llama run --trace");
  runtime::ReplayResult r = runtime::replay(trace["llamaReplay"], file);
  double share = r.decisions > 0 ? 100.0 * static_cast<double>(r.same) / r.decisions : 100.0;
  if (options.json) {
    std::cout << nlohmann::json{{"trace", file},
                                {"decisions", r.decisions},
                                {"same", r.same},
                                {"agreement", share / 100},
                                {"first_difference", r.first_difference.empty()
                                                         ? nlohmann::json(nullptr)
                                                         : nlohmann::json(r.first_difference)}}
                     .dump(2)
              << "\n";
  } else {
    fmt::print("replay of {}: {} of {} calls started alike, in the same order ({:.1f}%)\n", file,
               r.same, r.decisions, share);
  }
  if (!r.first_difference.empty())
    throw Error(ExitCode::internal, file + ": the replay parted from the run at " +
                                        r.first_difference +
                                        " (a bug in llama: the runtime is not deterministic; "
                                        "please report it with the trace)");
  return 0;
}

int simulate(const SimulateOptions& options) {
  if (!options.replay.empty()) return replay(options);
  if (options.pipeline.empty())
    throw Error(ExitCode::usage, "llama simulate: give a pipeline YAML file, or --replay TRACE");
  graph::Pipeline pipeline =
      graph::load_pipeline(options.pipeline, ops::builtin_registry().catalog());
  PlanRequest request = plan_request(options.plan, pipeline, options.pipeline, true);
  if (options.pool.rfind("slurm:", 0) == 0) {
    runtime::SimOptions so;
    so.seed = options.seed;
    so.failure_rate = options.fail;
    so.feedback = !options.no_feedback;
    so.duplicate_stragglers = !options.no_duplicates;
    return simulate_slurm(pipeline, request, parse_slurm_pool(options.pool), options.frames, so,
                          options.plan.store_dir, options.json);
  }
  plan::JobModel model = job_model_for(pipeline, request, options.pool);
  if (options.frames > 0) model.video.frames = options.frames;
  const spec::LatencyTarget& slo = request.slo;
  plan::Plan plan = plan::plan_job(model, request.objective, slo);
  runtime::SimOptions so;
  so.seed = options.seed;
  so.failure_rate = options.fail;
  so.feedback = !options.no_feedback;
  so.duplicate_stragglers = !options.no_duplicates;
  so.scheduler.objective = plan::runtime_objective(plan);
  runtime::SimResult result = runtime::simulate(model, plan.choice, slo, so);
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
  CLI::Option* pipeline = sub->add_option("pipeline", options->pipeline, "pipeline YAML file");
  CLI::Option* slo = add_plan_flags(sub, options->plan);
  sub->add_option("--pool", options->pool,
                  "the pool to simulate, e.g. cpus=64,gpus=4 (default: this machine), or a Slurm "
                  "job: slurm:tasks=100,cpus=16[,gpus=1,width=50,queue=5s,startup=20s]");
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
  sub->add_option("--replay", options->replay,
                  "replay the run recorded in TRACE (llama run --trace TRACE) through the runtime "
                  "core, and check that every call starts as it did")
      ->excludes(pipeline);
  sub->add_flag("--json", options->json, "print the result as JSON on stdout");
  return [options, slo] {
    options->plan.slo_given = slo->count() > 0;
    return simulate(*options);
  };
}

}  // namespace llama::app
