// Checks a parsed pipeline against the ops that exist: op kinds, inputs, item kinds on
// edges, `when:` fields, params and knob values. Structure (cycles) is lib/graph's job.
#pragma once

#include "spec/diagnostics.h"
#include "spec/op_signature.h"
#include "spec/pipeline_spec.h"

namespace llama::spec {

void validate_pipeline(const PipelineSpec& spec, const OpCatalog& catalog,
                       Diagnostics& diagnostics);

}  // namespace llama::spec
