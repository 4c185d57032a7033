// yaml-cpp helpers shared by the spec layer's readers (pipelines, price sheets). Internal to
// lib/spec: yaml-cpp stays inside this layer.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

#include "base/error.h"
#include "spec/diagnostics.h"

namespace llama::spec {

// Throws Error(bad_spec) as "file:line:col: error: malformed YAML: ... (fix)", and likewise
// for text that is not UTF-8.
YAML::Node parse_yaml(const std::string& text, const std::string& file);

// For yaml-cpp's errors after parsing, when a reader asks for a plain value (a key, a name,
// a path) and the file has a list or mapping there: Error(bad_spec) as
// "file:line:col: error: ... (fix)", instead of yaml-cpp's own exception escaping.
Error yaml_value_error(const std::string& file, const YAML::Exception& e);

// Where a node starts, 1-based; 0:0 when yaml-cpp has no mark for it.
SourceLocation location_of(const std::string& file, const YAML::Node& node);

}  // namespace llama::spec
