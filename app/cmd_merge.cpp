// llama merge OUT: a cluster job's task folders (OUT/tasks/N) merged into the results, outputs
// and report.json a local run writes in OUT. `llama run --cluster slurm` runs it when its
// tasks end; by hand it merges what a job has so far (an interrupted one, say).
#include <iostream>

#include "base/error.h"
#include "cluster/merge.h"
#include "commands.h"
#include "graph/graph.h"
#include "ops/registry.h"
#include "planning.h"

namespace llama::app {

namespace {

struct MergeOptions {
  std::string out_dir;
  std::string prices;
  bool json = false;
  bool quiet = false;
};

int merge(const MergeOptions& options) {
  cluster::Manifest m = cluster::read_manifest(options.out_dir);
  graph::Pipeline pipeline = graph::load_pipeline(m.pipeline, ops::builtin_registry().catalog());
  std::string prices_flag = options.prices;
  for (size_t i = 0; prices_flag.empty() && i + 1 < m.run_args.size(); ++i)
    if (m.run_args[i] == "--prices") prices_flag = m.run_args[i + 1];
  cluster::MergeResult merged = cluster::merge_job(m, pipeline.spec, find_prices(prices_flag));
  if (options.json) std::cout << merged.report.dump() << "\n";
  if (!options.quiet)
    std::cerr << "llama: merged " << m.tasks.size() << " task" << (m.tasks.size() == 1 ? "" : "s")
              << " into " << m.out_dir << " ("
              << (merged.complete ? "complete" : "incomplete: " + merged.report.value("error", ""))
              << ")\n";
  return merged.complete ? 0 : static_cast<int>(ExitCode::runtime);
}

}  // namespace

Command add_merge_command(CLI::App& app) {
  auto options = std::make_shared<MergeOptions>();
  CLI::App* sub = app.add_subcommand(
      "merge", "Merge a cluster job's tasks (OUT/tasks/N) into its --out folder");
  sub->add_option("out", options->out_dir, "the job's --out folder")->required();
  sub->add_option("--prices", options->prices, "price sheet YAML (default: the job's)");
  sub->add_flag("--json", options->json, "print the merged report.json on stdout");
  sub->add_flag("--quiet,-q", options->quiet, "print nothing on stderr but errors");
  return [options] { return merge(*options); };
}

}  // namespace llama::app
