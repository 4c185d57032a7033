#include "planning.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "base/error.h"
#include "machine.h"
#include "ops/registry.h"
#include "ops/torch_threads.h"
#include "profile/predictor.h"
#include "profile/profiler.h"
#include "profile/store.h"
#include "profile/targets.h"
#include "profile_progress.h"
#include "spec/duration.h"
#include "stop_signals.h"
#include "video/video_files.h"
#include "video/video_probe.h"

namespace llama::app {

plan::VideoShape video_shape(const std::vector<video::VideoInfo>& inputs) {
  plan::VideoShape shape;
  for (const video::VideoInfo& info : inputs) {
    double frames =
        info.frame_count > 0 ? static_cast<double>(info.frame_count) : info.duration_s * info.fps;
    shape.frames += frames;
    if (shape.fps <= 0) shape.fps = info.fps;
  }
  return shape;
}

namespace {

// What the store lacks for this pipeline, one phrase per gap; empty when it can be planned.
std::vector<std::string> gaps(const graph::Pipeline& pipeline, const plan::JobModel& model,
                              const profile::ProfileStore& store) {
  std::vector<std::string> out;
  for (const plan::OpModel& op : model.ops) {
    if (op.choices.empty()) out.push_back(op.name + ": no config measured");
    profile::OpKey key{pipeline.spec.name, op.name};
    if (!op.source && !store.find_fanout(key))
      out.push_back(op.name + ": items out per item in not measured");
    if (pipeline.graph.nodes()[op.node].op->when && !store.find_branch(key))
      out.push_back(op.name + ": how often its when: holds not measured");
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string s;
  for (const std::string& p : parts) s += (s.empty() ? "" : sep) + p;
  return s;
}

}  // namespace

plan::Pool parse_pool(const std::string& text) {
  plan::Pool pool;
  pool.cpus = 0;
  std::stringstream parts(text);
  std::string part;
  auto bad = [&](const std::string& why) {
    return Error(ExitCode::usage, "--pool '" + text + "': " + why +
                                      " (write it as cpus=N,gpus=M, e.g. --pool cpus=64,gpus=4)");
  };
  while (std::getline(parts, part, ',')) {
    size_t eq = part.find('=');
    if (eq == std::string::npos) throw bad("'" + part + "' has no '='");
    std::string name = part.substr(0, eq), value = part.substr(eq + 1);
    int n = 0;
    try {
      size_t used = 0;
      n = std::stoi(value, &used);
      if (used != value.size()) throw std::invalid_argument(value);
    } catch (const std::exception&) {
      throw bad("'" + value + "' is not a whole number");
    }
    if (name == "cpus" && n >= 1) {
      pool.cpus = n;
    } else if (name == "gpus" && n >= 0) {
      pool.gpus = n;
    } else if (name == "cpus" || name == "gpus") {
      throw bad(name + " must be at least " + (name == "cpus" ? "1" : "0"));
    } else {
      throw bad("unknown resource '" + name + "'");
    }
  }
  if (pool.cpus == 0) throw bad("cpus is missing");
  return pool;
}

plan::JobModel load_job_model(const graph::Pipeline& pipeline, const spec::PriceSheet& prices,
                              const PlanningOptions& options) {
  if (options.store_dir.empty())
    throw Error(ExitCode::usage, "--store is empty; name a folder, e.g. --store profiles");
  bool cuda = ops::cuda_available();
  profile::Fingerprint fp = this_machine(cuda);
  plan::Pool pool = options.pool ? *options.pool : local_pool(fp);
  plan::VideoShape shape =
      options.shape ? *options.shape : video_shape(video::probe_inputs(options.videos));
  std::vector<std::string> notes;
  profile::ProfileStore store = profile::ProfileStore::open(options.store_dir, fp, &notes);
  if (!options.quiet)
    for (const std::string& n : notes) std::cerr << "llama: note: " << n << "\n";

  std::vector<profile::OpTarget> targets = profile::profile_targets(
      pipeline, profile::probe_frame_size(options.videos), cuda || pool.gpus > 0, nullptr);
  auto build = [&] {
    return plan::build_job_model(pipeline, targets, profile::Predictor(store), prices, pool, shape);
  };
  plan::JobModel model = build();
  std::vector<std::string> missing = gaps(pipeline, model, store);
  if (missing.empty()) return model;

  std::string profile_command =
      "llama profile " + options.pipeline_file +
      (options.store_dir == "profiles" ? "" : " --store " + options.store_dir);
  if (!options.auto_profile)
    throw Error(ExitCode::bad_store,
                "the profile store " + store.path() + " lacks what the plan for " +
                    pipeline.spec.name + " needs (" + join(missing, "; ") + "); run `" +
                    profile_command + "` first, or drop --no-auto-profile to profile it now");

  if (!options.quiet) {
    // Entries are keyed by the model's files, the frame size and the op's version, so a
    // pipeline profiled before can still lack them: say which, not "no profile yet".
    const bool nothing = std::all_of(model.ops.begin(), model.ops.end(),
                                     [](const plan::OpModel& op) { return op.choices.empty(); });
    std::cerr << "llama: "
              << (nothing ? "no profile of " + pipeline.spec.name + " on this machine yet"
                          : "the profile store lacks part of what the plan for " +
                                pipeline.spec.name + " needs (" + join(missing, "; ") +
                                "; new weights, another frame size or a new llama are "
                                "measured anew)")
              << "; profiling it first (" << options.auto_profile_budget_s << "s budget; `"
              << profile_command << "` measures more)\n";
  }
  ProgressLine progress(options.quiet);
  profile::ProfileOptions po;
  po.videos = options.videos;
  po.sample = options.auto_profile_sample;
  po.budget_s = options.auto_profile_budget_s;
  po.cuda = cuda;
  po.cancel = StopSignals::flag();
  // On a terminal the line rewrites itself in place; in a log, the line above is enough.
  if (isatty(STDERR_FILENO))
    po.on_progress = [&](const profile::Progress& p) { progress.update(p); };
  po.on_note = [&](const std::string& line) { progress.note(line); };
  profile::ProfileResult result;
  {
    StopSignals stop_signals;
    result = profile::profile_pipeline(pipeline, ops::builtin_registry(), store, po);
  }
  progress.clear();
  store.save();
  if (result.interrupted)
    throw Error(ExitCode::interrupted,
                "interrupted while profiling; what was measured is in " + store.path());
  model = build();
  std::vector<std::string> unprofiled = model.unprofiled();
  if (!unprofiled.empty())
    throw Error(ExitCode::runtime, "no config of " + join(unprofiled, ", ") +
                                       " could be measured (the errors are above); fix the op "
                                       "or its knobs, then run `" +
                                       profile_command + "`");
  if (!options.quiet)
    std::cerr << "llama: profiled " << result.measured << " configs in "
              << static_cast<int>(result.wall_s * 10 + 0.5) / 10.0 << "s, saved to " << store.path()
              << "\n";
  return model;
}

std::optional<spec::PriceSheet> find_prices(const std::string& flag_value) {
  if (!flag_value.empty()) return spec::load_price_sheet(flag_value);
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  for (const fs::path& p :
       {fs::path("profiles/prices.yaml"), exe.parent_path().parent_path() / "profiles/prices.yaml"})
    if (!p.empty() && fs::is_regular_file(p, ec)) return spec::load_price_sheet(p.string());
  return std::nullopt;
}

CLI::Option* add_plan_flags(CLI::App* sub, PlanFlags& flags) {
  CLI::Option* slo = sub->add_option("--slo", flags.slo,
                                     "latency target for the whole job, e.g. 20s, 500ms, 1m30s "
                                     "(default: the pipeline's slo:)");
  sub->add_option("--objective", flags.objective,
                  "slo (cheapest plan predicted to meet the SLO), fast or cheap (default: slo)");
  sub->add_flag("--static", flags.fixed,
                "every op at the YAML's first knob values: no profiles, no tuning");
  sub->add_option("--input", flags.inputs,
                  "video file or folder of videos, instead of the pipeline's input (repeatable)");
  sub->add_option("--store", flags.store_dir, "profile store folder (default: profiles)");
  sub->add_option("--prices", flags.prices, "price sheet YAML (default: profiles/prices.yaml)");
  sub->add_flag("--no-auto-profile", flags.no_auto_profile,
                "refuse, instead of profiling first, when the store lacks what the plan needs");
  sub->add_flag("--quiet,-q", flags.quiet, "print nothing on stderr but errors");
  return slo;
}

PlanRequest plan_request(const PlanFlags& flags, const graph::Pipeline& pipeline,
                         const std::string& pipeline_file, bool need_slo) {
  PlanRequest r;
  if (flags.slo_given) r.slo = spec::LatencyTarget(parse_slo(flags.slo));
  r.objective = flags.fixed ? plan::Objective::fixed : parse_objective(flags.objective);
  if (!r.slo) r.slo = pipeline.spec.slo;
  if (need_slo && r.objective == plan::Objective::slo && !r.slo)
    throw Error(ExitCode::usage, pipeline_file +
                                     " has no slo: and no --slo was given; pass --slo (e.g. "
                                     "--slo 2m) or pick --objective fast or cheap");
  r.planning.pipeline_file = pipeline_file;
  r.planning.videos =
      flags.inputs.empty() ? pipeline.spec.inputs : video::expand_video_inputs(flags.inputs);
  if (r.planning.videos.empty())
    throw Error(ExitCode::bad_input,
                "no input video: the pipeline has no 'input' and no --input was given "
                "(add input: <video> to the pipeline, or pass --input VIDEO)");
  r.planning.store_dir = flags.store_dir;
  r.planning.auto_profile = !flags.no_auto_profile;
  r.planning.quiet = flags.quiet;
  r.prices = find_prices(flags.prices);
  return r;
}

plan::JobModel job_model_for(const graph::Pipeline& pipeline, PlanRequest& request,
                             const std::string& pool_flag) {
  if (!pool_flag.empty()) request.planning.pool = parse_pool(pool_flag);
  return load_job_model(pipeline, request.prices.value_or(spec::PriceSheet{}), request.planning);
}

double parse_slo(const std::string& text) {
  std::optional<double> slo_s = spec::parse_duration_s(text);
  if (!slo_s || *slo_s <= 0)
    throw Error(ExitCode::usage,
                "--slo '" + text + "' is not a positive duration (" + spec::kDurationHelp + ")");
  return *slo_s;
}

plan::Objective parse_objective(const std::string& text) {
  if (text == "slo") return plan::Objective::slo;
  if (text == "fast") return plan::Objective::fast;
  if (text == "cheap") return plan::Objective::cheap;
  throw Error(ExitCode::usage, "--objective '" + text +
                                   "' is not one of slo, fast, cheap (for the YAML's first "
                                   "knob values, use --static)");
}

}  // namespace llama::app
