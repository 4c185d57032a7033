// libFuzzer target: a pipeline YAML as every command reads it (graph::load_pipeline_text:
// load, validate against the op catalog, build the DAG), then what the planner asks of the
// graph. Bad input must end in llama::Error; anything else escaping is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "graph/graph.h"
#include "ops/registry.h"
#include "spec/op_signature.h"
#include "spec/pipeline_spec.h"

namespace {

// A field value that depends on the name, so comparisons meet every pairing of types.
std::optional<llama::spec::Value> lookup(const std::string& field) {
  switch (field.size() % 4) {
    case 0:
      return llama::spec::Value{static_cast<double>(field.size())};
    case 1:
      return llama::spec::Value{field};
    case 2:
      return llama::spec::Value{field.size() % 8 == 2};
    default:
      return std::nullopt;  // the item lacks it
  }
}

// What of a pipeline the reports and `--json` views write, as one JSON document.
nlohmann::json as_json(const llama::spec::PipelineSpec& spec) {
  nlohmann::json doc = {{"name", spec.name}, {"file", spec.file}, {"inputs", spec.inputs}};
  for (const auto& m : spec.models)
    doc["models"].push_back({{"name", m.name}, {"path", m.path}, {"fields", m.fields}});
  for (const auto& o : spec.outputs) doc["outputs"].push_back(o.op);
  for (const auto& op : spec.ops) {
    nlohmann::json j = {{"name", op.name}, {"kind", op.kind}};
    for (const auto& in : op.inputs) j["inputs"].push_back(in.op);
    if (op.when) j["when"] = op.when->text();
    for (const auto& [name, param] : op.params) j["params"][name] = param.value;
    for (const auto& [name, knob] : op.knobs) j["knobs"][name] = knob.values;
    doc["ops"].push_back(j);
  }
  return doc;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The real catalog, as the CLI validates against it: every op kind, param type and knob.
  static const llama::spec::OpCatalog& catalog = llama::ops::builtin_registry().catalog();
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    llama::graph::Pipeline p =
        llama::graph::load_pipeline_text(text, "pipelines/fuzz.yaml", catalog);
    // What the planner and executor ask of a valid pipeline.
    const llama::graph::Graph& g = p.graph;
    (void)g.sources();
    (void)g.sinks();
    // The number of paths grows exponentially with diamonds in the DAG; real pipelines have
    // a dozen ops, and a fuzzed one with hundreds would only make the run time out.
    if (g.nodes().size() <= 24) (void)g.source_to_sink_paths();
    // Names, params and knob values reach JSON later (reports, `--json` views); nlohmann
    // throws there on text that is not UTF-8, far from the file that held it.
    (void)as_json(p.spec).dump();
    for (size_t i = 0; i < g.nodes().size(); ++i) {
      (void)llama::graph::runs(p, static_cast<int>(i));
      if (const auto& when = g.nodes()[i].op->when) (void)when->eval(lookup);
    }
  } catch (const llama::Error& e) {
    // A bad pipeline is the expected outcome, but only as bad_spec: the CLI's exit code says
    // what went wrong, and any other code here would mislead a script that reads it.
    if (e.code() != llama::ExitCode::bad_spec) {
      std::fprintf(stderr, "finding: llama::Error with exit code %d, not bad_spec: %s\n",
                   static_cast<int>(e.code()), e.what());
      std::abort();
    }
  }
  return 0;
}
