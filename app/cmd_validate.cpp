// llama validate PIPELINE: check a pipeline file and report every problem at once.
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "graph/graph.h"
#include "ops/registry.h"

namespace llama::app {

namespace {

struct ValidateOptions {
  std::string pipeline;
  bool json = false;
};

int validate(const ValidateOptions& options) {
  graph::Pipeline p = graph::load_pipeline(options.pipeline, ops::builtin_registry().catalog());
  const auto& g = p.graph;
  if (options.json) {
    nlohmann::json order = nlohmann::json::array();
    for (int i : g.topological_order()) order.push_back(g.nodes()[i].op->name);
    nlohmann::json paths = nlohmann::json::array();
    for (const auto& path : g.source_to_sink_paths()) {
      nlohmann::json names = nlohmann::json::array();
      for (int i : path) names.push_back(g.nodes()[i].op->name);
      paths.push_back(names);
    }
    std::cout << nlohmann::json{{"pipeline", p.spec.name},
                                {"valid", true},
                                {"order", order},
                                {"paths", paths},
                                {"inputs", p.spec.inputs}}
                     .dump()
              << "\n";
  } else {
    std::cout << options.pipeline << ": ok (" << g.nodes().size() << " ops, " << g.edges().size()
              << " edges, " << g.source_to_sink_paths().size() << " source-to-sink paths)\n";
  }
  return 0;
}

}  // namespace

Command add_validate_command(CLI::App& app) {
  auto options = std::make_shared<ValidateOptions>();
  CLI::App* sub = app.add_subcommand(
      "validate", "Check a pipeline file; report every problem with file:line:col");
  sub->add_option("pipeline", options->pipeline, "pipeline YAML file")->required();
  sub->add_flag("--json", options->json, "print the checked DAG as JSON on stdout");
  return [options] { return validate(*options); };
}

}  // namespace llama::app
