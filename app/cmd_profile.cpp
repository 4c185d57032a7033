// llama profile PIPELINE: measure what each op costs at each config on this machine (and the
// pipeline's fan-out and branch rates) into the profile store; --show prints what is there.

#include <iostream>
#include <memory>
#include <optional>

#include "base/error.h"
#include "commands.h"
#include "graph/graph.h"
#include "machine.h"
#include "ops/registry.h"
#include "ops/torch_threads.h"
#include "profile/fingerprint.h"
#include "profile/profiler.h"
#include "profile/store.h"
#include "profile_progress.h"
#include "profile_view.h"
#include "spec/duration.h"
#include "stop_signals.h"
#include "video/video_files.h"

namespace llama::app {

namespace {

struct ProfileCommandOptions {
  std::string pipeline;
  std::vector<std::string> inputs;
  std::string budget = "60s";
  int sample = 20;
  std::string store_dir = "profiles";
  bool force = false;
  bool show = false;
  bool reset = false;
  bool json = false;
  bool quiet = false;
};

int profile_command(const ProfileCommandOptions& options) {
  if (options.store_dir.empty())
    throw Error(ExitCode::usage, "--store is empty; name a folder, e.g. --store profiles");
  std::optional<double> budget_s = spec::parse_duration_s(options.budget);
  if (!budget_s || *budget_s <= 0)
    throw Error(ExitCode::usage, "--budget '" + options.budget + "' is not a positive duration (" +
                                     spec::kDurationHelp + ")");
  if (options.pipeline.empty() && !options.reset)
    throw Error(ExitCode::usage,
                "name the pipeline to profile, e.g. llama profile pipelines/people_count.yaml");

  bool cuda = ops::cuda_available();
  profile::Fingerprint fp = this_machine(cuda);

  if (options.reset) {
    std::optional<std::string> backup = profile::ProfileStore::reset(options.store_dir, fp);
    if (!options.quiet) {
      if (backup)
        std::cerr << "llama: moved this machine's profile store aside to " << *backup
                  << "; the next llama profile starts a new one\n";
      else
        std::cerr << "llama: no profile store for this machine in " << options.store_dir
                  << "; nothing to reset\n";
    }
    if (options.pipeline.empty()) return 0;
  }

  const ops::OpRegistry& registry = ops::builtin_registry();
  graph::Pipeline pipeline = graph::load_pipeline(options.pipeline, registry.catalog());
  std::vector<std::string> videos =
      options.inputs.empty() ? pipeline.spec.inputs : video::expand_video_inputs(options.inputs);

  std::vector<std::string> notes;
  profile::ProfileStore store = profile::ProfileStore::open(options.store_dir, fp, &notes);
  if (!options.quiet)
    for (const std::string& n : notes) std::cerr << "llama: note: " << n << "\n";

  if (options.show) {
    auto targets =
        profile::profile_targets(pipeline, profile::probe_frame_size(videos), cuda, nullptr);
    nlohmann::json view = profile_view(pipeline, targets, store);
    if (options.json)
      std::cout << view.dump(2) << "\n";
    else
      print_profile_table(std::cout, view);
    return 0;
  }

  ProgressLine progress(options.quiet);
  profile::ProfileOptions po;
  po.videos = videos;
  po.sample = options.sample;
  po.budget_s = *budget_s;
  po.force = options.force;
  po.cuda = cuda;
  po.cancel = StopSignals::flag();
  po.on_progress = [&](const profile::Progress& p) { progress.update(p); };
  po.on_note = [&](const std::string& line) { progress.note(line); };
  po.on_info = [&](const std::string& line) { progress.info(line); };

  profile::ProfileResult result;
  {
    StopSignals stop_signals;
    result = profile::profile_pipeline(pipeline, registry, store, po);
  }
  progress.clear();
  store.save();  // the profiler saved after every op; this covers the last one whatever happened

  int pruned = 0;
  for (const auto& o : result.ops) pruned += o.pruned;
  if (!options.quiet) {
    if (result.measured == 0 && !result.interrupted && result.failed_ops.empty())
      std::cerr << "llama: nothing new to measure: the " << result.cached
                << " entries this pipeline needs are in " << store.path()
                << " (--force measures them again)\n";
    else
      std::cerr << "llama: profiled " << pipeline.spec.name << ": " << result.measured
                << " new entries, " << result.cached << " already in the store, " << pruned
                << " pruned, in " << static_cast<int>(result.wall_s * 10 + 0.5) / 10.0 << "s ("
                << result.passes << (result.passes == 1 ? " pass" : " passes")
                << " over the ops); saved to " << store.path() << "\n";
    if (result.budget_spent)
      std::cerr << "llama: warning: the --budget " << options.budget
                << " was spent before every config was measured; run llama profile again (or "
                   "with a larger --budget) to measure the rest\n";
  }
  if (options.json)
    std::cout << profile_view(pipeline,
                              profile::profile_targets(pipeline, profile::probe_frame_size(videos),
                                                       cuda, nullptr),
                              store)
                     .dump(2)
              << "\n";

  if (result.interrupted) {
    std::cerr << "llama: interrupted; the " << result.measured << " entries measured so far are in "
              << store.path() << "\n";
    return stopped_exit_code();
  }
  if (!result.failed_ops.empty()) {
    std::string list;
    for (const std::string& op : result.failed_ops) list += (list.empty() ? "" : ", ") + op;
    if (result.measured + result.cached == 0) {
      std::cerr << "llama: every config failed for: " << list
                << " (the errors are above); nothing was measured\n";
      return static_cast<int>(ExitCode::runtime);
    }
    if (!options.quiet)
      std::cerr << "llama: warning: no config could be measured for: " << list
                << " (the errors are above); the other ops were profiled\n";
  }
  return 0;
}

}  // namespace

Command add_profile_command(CLI::App& app) {
  auto options = std::make_shared<ProfileCommandOptions>();
  CLI::App* sub = app.add_subcommand(
      "profile", "Measure what each op costs at each config on this machine, into a profile store");
  sub->add_option("pipeline", options->pipeline, "pipeline YAML file");
  sub->add_option("--input", options->inputs,
                  "video file or folder of videos to sample, instead of the pipeline's input");
  sub->add_option("--budget", options->budget,
                  "time to spend measuring, e.g. 60s, 2m (default 60s)");
  sub->add_option(
         "--sample", options->sample,
         "frames of the input to profile on, read at 4 points spread through it (default 20)")
      ->check(CLI::Range(1, 100000));
  sub->add_option("--store", options->store_dir, "profile store folder (default: profiles)");
  sub->add_flag("--force", options->force, "measure again what the store already has");
  sub->add_flag("--show", options->show,
                "print what the store holds for the pipeline; measure nothing");
  sub->add_flag("--reset", options->reset,
                "move this machine's store aside (kept as a backup) and start a new one");
  sub->add_flag("--json", options->json, "print the pipeline's profiles as JSON on stdout");
  sub->add_flag("--quiet,-q", options->quiet, "print nothing on stderr but errors");
  return [options] { return profile_command(*options); };
}

}  // namespace llama::app
