// The ops llama knows: each one's signature (for validation) and a factory for instances.
// Built-ins are registered explicitly, never by static initialisers a linker could drop.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "ops/op.h"
#include "spec/op_signature.h"

namespace llama::ops {

using OpFactory = std::function<std::unique_ptr<Op>(const OpContext&)>;

class OpRegistry {
 public:
  // Adds the fields every item has to the signature, so `when:` may read them.
  void add(spec::OpSignature signature, OpFactory factory);
  const spec::OpCatalog& catalog() const { return catalog_; }
  std::unique_ptr<Op> create(const std::string& kind, const OpContext& context) const;

 private:
  spec::OpCatalog catalog_;
  std::map<std::string, OpFactory> factories_;
};

void register_builtin_ops(OpRegistry& registry);

// The registry with every built-in op, built once.
const OpRegistry& builtin_registry();

// Knobs most ops share; an op lists the ones it honours.
spec::KnobSignature device_knob(bool has_cuda_kernel);
spec::KnobSignature threads_knob();
spec::KnobSignature batch_knob();

}  // namespace llama::ops
