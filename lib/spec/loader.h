// Reads a pipeline YAML file into a PipelineSpec. Structural problems (unknown keys, wrong
// types, malformed durations and conditions) go into `diagnostics`; only an unreadable file
// or malformed YAML throws, since nothing after it can be trusted.
#pragma once

#include <string>

#include "spec/diagnostics.h"
#include "spec/pipeline_spec.h"

namespace llama::spec {

PipelineSpec load_pipeline_file(const std::string& path, Diagnostics& diagnostics);

// `file` names the text in messages and anchors relative paths.
PipelineSpec load_pipeline_text(const std::string& text, const std::string& file,
                                Diagnostics& diagnostics);

}  // namespace llama::spec
