// Planning for `llama run`, `llama explain` (and later `llama simulate`): the job model of a
// pipeline on its videos, from this machine's profile store, profiling what is missing first
// (or refusing to, with --no-auto-profile), and the plan for an objective.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "graph/graph.h"
#include "plan/job_model.h"
#include "plan/planner.h"
#include "spec/price_sheet.h"
#include "video/video_reader.h"

namespace llama::app {

struct PlanningOptions {
  std::string pipeline_file;  // as typed: the commands the messages suggest quote it
  std::vector<std::string> videos;
  std::string store_dir = "profiles";
  bool auto_profile = true;
  double auto_profile_budget_s = 10;  // small: a first plan, not a full profile
  int auto_profile_sample = 10;
  std::optional<plan::Pool> pool;         // default: this machine
  std::optional<plan::VideoShape> shape;  // the videos' (video_shape), if probed already
  bool quiet = false;
};

// The flags run, explain and simulate share, as typed.
struct PlanFlags {
  std::string slo;
  bool slo_given = false;  // `--slo ""` is an error, not "no SLO"
  std::string objective = "slo";
  bool fixed = false;  // --static
  std::vector<std::string> inputs;
  std::string store_dir = "profiles";
  std::string prices;
  bool no_auto_profile = false;
  bool quiet = false;
};

// Adds --slo, --objective, --static, --input, --store, --prices, --no-auto-profile and
// --quiet to `sub`. Returns the --slo option: once parsed, set slo_given from its count().
CLI::Option* add_plan_flags(CLI::App* sub, PlanFlags& flags);

// What the flags and the pipeline say together.
struct PlanRequest {
  spec::LatencyTarget slo;  // --slo, else the pipeline's slo:, else none
  plan::Objective objective = plan::Objective::slo;
  PlanningOptions planning;  // videos (--input, else the pipeline's), store, auto-profile
  std::optional<spec::PriceSheet> prices;
};

// Throws Error(usage) for a malformed --slo or --objective, or (`need_slo`) for the slo
// objective with no SLO anywhere; Error(bad_input) when there is no video.
PlanRequest plan_request(const PlanFlags& flags, const graph::Pipeline& pipeline,
                         const std::string& pipeline_file, bool need_slo);

// The job model for `request` on the pool that --pool names ("": this machine), profiling
// first as load_job_model does.
plan::JobModel job_model_for(const graph::Pipeline& pipeline, PlanRequest& request,
                             const std::string& pool_flag);

// Frames in the job and their rate, from the containers (video::probe_inputs).
plan::VideoShape video_shape(const std::vector<video::VideoInfo>& inputs);

// Values of --pool: "cpus=64,gpus=4". Throws Error(usage) naming the flag.
plan::Pool parse_pool(const std::string& text);

// Throws Error(bad_store) when profiles are missing and auto_profile is off (naming the
// `llama profile` command that fills them in), Error(runtime) when even profiling leaves an
// op without a single config that ran.
plan::JobModel load_job_model(const graph::Pipeline& pipeline, const spec::PriceSheet& prices,
                              const PlanningOptions& options);

// The price sheet a plan is costed with: --prices FILE when given, else profiles/prices.yaml
// where llama runs, else the one beside the llama checkout that built this binary. nullopt
// when there is none (the run report then gives resource-seconds only).
std::optional<spec::PriceSheet> find_prices(const std::string& flag_value);

// The value of --slo, in seconds; throws Error(usage) quoting it unless it is a positive
// duration.
double parse_slo(const std::string& text);

// "slo", "fast", "cheap"; throws Error(usage) otherwise.
plan::Objective parse_objective(const std::string& text);

}  // namespace llama::app
