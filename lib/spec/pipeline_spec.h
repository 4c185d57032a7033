// A pipeline as written in YAML, after parsing and before any checking against the ops
// that exist. Every part keeps its place in the file so later checks can point at it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "spec/condition.h"
#include "spec/diagnostics.h"
#include "spec/latency_target.h"

namespace llama::spec {

struct Param {
  nlohmann::json value;  // scalar, list or map, as written
  SourceLocation where;
};

// The values a user allows for one knob, in the order given; the first is the default.
struct Knob {
  std::vector<std::string> values;
  SourceLocation where;
};

struct InputRef {
  std::string op;  // name of the op whose items feed this one
  SourceLocation where;
};

struct OpSpec {
  std::string name;
  std::string kind;  // `op:` in YAML: decode, motion_filter, ...
  std::vector<InputRef> inputs;
  std::optional<Condition> when;  // applies to the items arriving on every input
  SourceLocation when_where;
  std::map<std::string, Param> params;
  std::map<std::string, Knob> knobs;
  SourceLocation where;       // the op's entry in `ops:`
  SourceLocation kind_where;  // its `op:` value
};

struct ModelSpec {
  std::string name;
  std::string path;  // resolved against the pipeline's folder
  nlohmann::json fields;
  SourceLocation where;
};

struct PipelineSpec {
  std::string file;  // the YAML file as given
  std::string name;
  std::vector<std::string> inputs;  // videos, resolved against the pipeline's folder
  SourceLocation input_where;
  LatencyTarget slo;
  SourceLocation slo_where;
  std::vector<ModelSpec> models;
  std::vector<OpSpec> ops;
  std::vector<InputRef> outputs;  // ops whose results are written; empty means every sink

  const OpSpec* find_op(const std::string& name) const {
    for (const OpSpec& op : ops)
      if (op.name == name) return &op;
    return nullptr;
  }
};

}  // namespace llama::spec
