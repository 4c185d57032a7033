// yaml-cpp helpers shared by the spec layer's readers (pipelines, price sheets). Internal to
// lib/spec: yaml-cpp stays inside this layer.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

#include "spec/diagnostics.h"

namespace llama::spec {

// Throws Error(bad_spec) as "file:line:col: error: malformed YAML: ... (fix)".
YAML::Node parse_yaml(const std::string& text, const std::string& file);

// Where a node starts, 1-based; 0:0 when yaml-cpp has no mark for it.
SourceLocation location_of(const std::string& file, const YAML::Node& node);

}  // namespace llama::spec
