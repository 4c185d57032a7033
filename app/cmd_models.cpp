// llama models PIPELINE [--bench]: the models a pipeline uses, their inputs, outputs and
// size, and with --bench their per-frame latency for each threads x batch on this machine.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "commands.h"
#include "graph/graph.h"
#include "models/model_info.h"
#include "ops/registry.h"

namespace llama::app {

namespace {

struct ModelsOptions {
  std::string pipeline;
  bool bench = false;
  std::vector<int> threads = {1, 2};
  std::vector<int> batches = {1, 8};
  int runs = 5;
  bool json = false;
};

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    out += (i ? "," : "") + (shape[i] < 0 ? std::string("N") : std::to_string(shape[i]));
  return out + "]";
}

int models_command(const ModelsOptions& options) {
  graph::Pipeline pipeline =
      graph::load_pipeline(options.pipeline, ops::builtin_registry().catalog());
  nlohmann::json all = nlohmann::json::array();
  for (const spec::ModelSpec& spec : pipeline.spec.models) {
    models::ModelInfo info = models::describe_model(spec.path);
    nlohmann::json entry = {{"name", spec.name},
                            {"path", spec.path},
                            {"format", info.format},
                            {"ops", info.op_count},
                            {"parameters", info.parameter_count}};
    if (!options.json) {
      std::printf("%s (%s, %s): %zu ops, %.2fM parameters\n", spec.name.c_str(), spec.path.c_str(),
                  info.format.c_str(), info.op_count, info.parameter_count / 1e6);
      if (info.format == "torchscript")
        std::printf("  in  as declared in models: %s\n", spec.fields.dump().c_str());
      for (const auto& t : info.inputs)
        std::printf("  in  %-20s %-8s %s\n", t.name.c_str(), t.dtype.c_str(),
                    shape_text(t.shape).c_str());
      for (const auto& t : info.outputs)
        std::printf("  out %-20s %-8s %s\n", t.name.c_str(), t.dtype.c_str(),
                    shape_text(t.shape).c_str());
    }
    for (const auto& t : info.inputs)
      entry["inputs"].push_back({{"name", t.name}, {"shape", t.shape}, {"dtype", t.dtype}});
    for (const auto& t : info.outputs)
      entry["outputs"].push_back({{"name", t.name}, {"shape", t.shape}, {"dtype", t.dtype}});
    if (options.bench && info.format == "torchscript" && !options.json)
      std::printf("  --bench times TFJS models only; llama run reports this one's latency\n");
    if (options.bench && info.format == "tfjs") {
      if (!options.json)
        std::printf("  %-8s %-6s %12s %16s\n", "threads", "batch", "ms/frame", "min-max");
      for (int threads : options.threads)
        for (int batch : options.batches) {
          models::BenchResult r;
          try {
            r = models::bench_model(spec.path, threads, batch, options.runs);
          } catch (const llama::Error& e) {
            // A graph that fixes its batch size cannot run larger batches: say so, go on.
            if (batch == 1) throw;
            entry["bench"].push_back({{"threads", threads}, {"batch", batch}, {"error", e.what()}});
            if (!options.json)
              std::printf("  %-8d %-6d %12s (the graph fixes its batch size)\n", threads, batch,
                          "-");
            continue;
          }
          entry["bench"].push_back({{"threads", threads},
                                    {"batch", batch},
                                    {"ms_per_frame", r.ms_per_frame},
                                    {"ms_min", r.ms_min},
                                    {"ms_max", r.ms_max}});
          if (!options.json)
            std::printf("  %-8d %-6d %12.2f %8.2f-%.2f\n", threads, batch, r.ms_per_frame, r.ms_min,
                        r.ms_max);
        }
    }
    all.push_back(entry);
  }
  if (options.json) std::cout << all.dump() << "\n";
  if (all.empty() && !options.json) std::printf("%s uses no models\n", options.pipeline.c_str());
  return 0;
}

}  // namespace

Command add_models_command(CLI::App& app) {
  auto options = std::make_shared<ModelsOptions>();
  CLI::App* sub =
      app.add_subcommand("models", "List the models a pipeline uses; --bench times them here");
  sub->add_option("pipeline", options->pipeline, "pipeline YAML file")->required();
  sub->add_flag("--bench", options->bench, "measure per-frame latency for each threads x batch");
  sub->add_option("--threads", options->threads, "thread counts to bench (default 1 2)");
  sub->add_option("--batch", options->batches, "batch sizes to bench (default 1 8)");
  sub->add_option("--runs", options->runs, "timed runs per setting (default 5)")
      ->check(CLI::Range(1, 1000));
  sub->add_flag("--json", options->json, "print JSON on stdout");
  return [options] { return models_command(*options); };
}

}  // namespace llama::app
