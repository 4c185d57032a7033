#include "profile/targets.h"

#include <algorithm>

#include "base/error.h"
#include "profile/model_id.h"

namespace llama::profile {

std::vector<OpTarget> profile_targets(const graph::Pipeline& pipeline,
                                      const std::string& frame_size, bool cuda,
                                      std::vector<std::string>* notes) {
  std::vector<OpTarget> targets;
  for (int i : pipeline.graph.topological_order()) {
    const graph::Node& node = pipeline.graph.nodes()[i];
    const spec::OpSpec& op = *node.op;
    if (!graph::runs(pipeline, i)) continue;  // nothing to profile
    OpTarget t;
    t.node = i;
    t.op = &op;
    t.base.op_kind = op.kind;
    t.base.impl_version = node.signature->impl_version;
    t.base.input = frame_size;
    t.configs = knob_space(op, *node.signature, cuda, notes);
    auto model = op.params.find("model");
    if (model != op.params.end() && model->second.value.is_string()) {
      const std::string name = model->second.value.get<std::string>();
      const spec::ModelSpec* spec = nullptr;
      for (const spec::ModelSpec& m : pipeline.spec.models)
        if (m.name == name) spec = &m;
      try {
        if (spec) t.base.model_id = model_id(model_files(spec->path));
      } catch (const Error& e) {
        t.error = e.what();
      }
    }
    targets.push_back(std::move(t));
  }
  return targets;
}

EntryKey entry_key(const OpTarget& target, const Config& config) {
  EntryKey key = target.base;
  key.config = without_batch(config);
  key.batch = batch_of(config);
  return key;
}

}  // namespace llama::profile
