#include "ops/registry.h"

#include "base/error.h"
#include "ops/builtin.h"

namespace llama::ops {

void OpRegistry::add(spec::OpSignature signature, OpFactory factory) {
  if (signature.produces_items)
    signature.fields.insert(signature.fields.end(), kCommonFields.begin(), kCommonFields.end());
  factories_[signature.kind] = std::move(factory);
  catalog_.add(std::move(signature));
}

std::unique_ptr<Op> OpRegistry::create(const std::string& kind, const OpContext& context) const {
  auto it = factories_.find(kind);
  if (it == factories_.end())
    throw Error(ExitCode::internal, "no factory for op kind '" + kind + "'");
  return it->second(context);
}

void register_builtin_ops(OpRegistry& registry) {
  register_decode_op(registry);
  register_sample_op(registry);
  register_motion_filter_op(registry);
  register_blur_op(registry);
  register_window_count_op(registry);
  register_encode_op(registry);
  register_sink_op(registry);
  register_detect_op(registry);
  register_crop_op(registry);
  register_embed_op(registry);
  register_match_op(registry);
  register_track_op(registry);
  register_pose_op(registry);
  register_segment_op(registry);
  register_classify_op(registry);
}

const OpRegistry& builtin_registry() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    register_builtin_ops(r);
    return r;
  }();
  return registry;
}

spec::KnobSignature device_knob(bool has_cuda_kernel) {
  spec::KnobSignature k{"device", {"cpu"}, 0, 0, false};
  if (has_cuda_kernel) k.choices.push_back("cuda");
  return k;
}

spec::KnobSignature threads_knob() {
  return {"threads", {}, 1, 256, true};
}

spec::KnobSignature batch_knob() {
  return {"batch", {}, 1, 1024, true};
}

}  // namespace llama::ops
