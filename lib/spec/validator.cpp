#include "spec/validator.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "spec/duration.h"

namespace llama::spec {

namespace {

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

std::string suggest(const std::string& word, const std::vector<std::string>& candidates,
                    const std::string& otherwise) {
  std::string s = did_you_mean(word, candidates);
  return s.empty() ? otherwise : "did you mean '" + s + "'?";
}

const char* type_name(ParamType type) {
  switch (type) {
    case ParamType::string:
      return "a string";
    case ParamType::number:
      return "a number";
    case ParamType::integer:
      return "an integer";
    case ParamType::boolean:
      return "true or false";
    case ParamType::duration:
      return "a duration";
    case ParamType::list:
      return "a list";
    case ParamType::model:
      return "the name of a model in 'models:'";
    case ParamType::output_file:
      return "a file name inside --out (relative, without '..', not in .llama/)";
    case ParamType::any:
      return "a value";
  }
  return "a value";
}

bool is_inside_out_dir(const std::string& name) {
  const std::filesystem::path path(name);
  if (name.empty() || path.is_absolute() || path.filename().empty()) return false;
  for (const auto& part : path)
    if (part == "..") return false;
  // OUT/.llama holds the job's checkpoint and goes when the job completes.
  return *path.begin() != ".llama";
}

bool has_type(const nlohmann::json& v, ParamType type) {
  switch (type) {
    case ParamType::string:
      return v.is_string();
    case ParamType::number:
      return v.is_number();
    case ParamType::integer:
      return v.is_number_integer();
    case ParamType::boolean:
      return v.is_boolean();
    case ParamType::duration:
      return v.is_string() && parse_duration_s(v.get<std::string>()).has_value();
    case ParamType::list:
      return v.is_array();
    case ParamType::model:
      return v.is_string();
    case ParamType::output_file:
      return v.is_string() && is_inside_out_dir(v.get<std::string>());
    case ParamType::any:
      return true;
  }
  return true;
}

void check_params(const PipelineSpec& spec, const OpSpec& op, const OpSignature& sig,
                  Diagnostics& diags) {
  std::vector<std::string> names;
  for (const auto& p : sig.params) names.push_back(p.name);
  for (const auto& [name, param] : op.params) {
    const ParamSignature* ps = sig.find_param(name);
    if (!ps) {
      diags.error(param.where,
                  "op '" + op.name + "' (" + sig.kind + ") has no param '" + name + "'",
                  suggest(name, names,
                          names.empty() ? "it takes no params" : "its params: " + join(names)));
      continue;
    }
    if (!has_type(param.value, ps->type)) {
      std::string fix = ps->type == ParamType::duration ? kDurationHelp : ps->help;
      diags.error(param.where,
                  "param '" + name + "' of op '" + op.name + "' must be " + type_name(ps->type) +
                      ", got " + param.value.dump(),
                  fix);
      continue;
    }
    if (ps->type == ParamType::model) {
      std::string name = param.value.get<std::string>();
      std::vector<std::string> models;
      for (const auto& m : spec.models) models.push_back(m.name);
      if (std::find(models.begin(), models.end(), name) == models.end())
        diags.error(
            param.where,
            "op '" + op.name + "' uses model '" + name + "', which 'models:' does not define",
            suggest(name, models,
                    "add it under models:, e.g. " + name + ": ../models/" + name + ".json"));
      continue;
    }
    if (!ps->choices.empty()) {
      std::string text =
          param.value.is_string() ? param.value.get<std::string>() : param.value.dump();
      if (std::find(ps->choices.begin(), ps->choices.end(), text) == ps->choices.end())
        diags.error(param.where,
                    "param '" + name + "' of op '" + op.name + "' cannot be '" + text + "'",
                    suggest(text, ps->choices, "choose one of: " + join(ps->choices)));
    }
  }
  for (const auto& ps : sig.params)
    if (ps.required && !op.params.count(ps.name))
      diags.error(op.where, "op '" + op.name + "' (" + sig.kind + ") needs param '" + ps.name + "'",
                  ps.help);
}

void check_knobs(const OpSpec& op, const OpSignature& sig, Diagnostics& diags) {
  std::vector<std::string> names;
  for (const auto& k : sig.knobs) names.push_back(k.name);
  for (const auto& [name, knob] : op.knobs) {
    const KnobSignature* ks = sig.find_knob(name);
    if (!ks) {
      diags.error(
          knob.where, "op '" + op.name + "' (" + sig.kind + ") has no knob '" + name + "'",
          suggest(name, names, names.empty() ? "it has no knobs" : "its knobs: " + join(names)));
      continue;
    }
    for (const std::string& value : knob.values) {
      if (!ks->choices.empty()) {
        if (std::find(ks->choices.begin(), ks->choices.end(), value) == ks->choices.end())
          diags.error(knob.where,
                      "op '" + op.name + "' (" + sig.kind + ") does not support " + name + " '" +
                          value + "'",
                      "supported: " + join(ks->choices));
        continue;
      }
      char* end = nullptr;
      double number = std::strtod(value.c_str(), &end);
      bool numeric = !value.empty() && end == value.c_str() + value.size();
      bool ok = numeric && number >= ks->min && number <= ks->max &&
                (!ks->integer || number == std::floor(number));
      if (!ok) {
        char range[96];
        std::snprintf(range, sizeof range, "%s from %g to %g",
                      ks->integer ? "an integer" : "a number", ks->min, ks->max);
        diags.error(knob.where,
                    "knob '" + name + "' of op '" + op.name + "' cannot be '" + value + "'",
                    std::string("use ") + range);
      }
    }
  }
}

}  // namespace

void validate_pipeline(const PipelineSpec& spec, const OpCatalog& catalog, Diagnostics& diags) {
  std::vector<std::string> op_names;
  for (const auto& op : spec.ops) op_names.push_back(op.name);
  bool has_source = false;

  for (const OpSpec& op : spec.ops) {
    if (op.kind.empty()) continue;  // the loader already said so
    const OpSignature* sig = catalog.find(op.kind);
    if (!sig) {
      diags.error(op.kind_where, "unknown op '" + op.kind + "' in op '" + op.name + "'",
                  suggest(op.kind, catalog.kinds(), "known ops: " + join(catalog.kinds())));
      continue;
    }
    bool is_source = sig->accepts.empty();
    has_source = has_source || is_source;
    if (is_source && !op.inputs.empty())
      diags.error(
          op.inputs.front().where,
          "op '" + op.name + "' (" + sig->kind + ") reads the input video and takes no input",
          "remove its 'input'");
    if (!is_source && op.inputs.empty())
      diags.error(op.where, "op '" + op.name + "' (" + sig->kind + ") has no input",
                  "add 'input: <op name>' naming the op that feeds it");

    std::vector<std::string> upstream_fields;
    for (const InputRef& in : op.inputs) {
      if (in.op == op.name) {
        diags.error(in.where, "op '" + op.name + "' names itself as input",
                    "feed it from another op");
        continue;
      }
      const OpSpec* from = spec.find_op(in.op);
      if (!from) {
        diags.error(in.where,
                    "op '" + op.name + "' takes input from '" + in.op + "', which does not exist",
                    suggest(in.op, op_names, "ops in this pipeline: " + join(op_names)));
        continue;
      }
      const OpSignature* from_sig = catalog.find(from->kind);
      if (!from_sig) continue;
      if (!from_sig->produces_items) {
        diags.error(in.where,
                    "op '" + in.op + "' (" + from_sig->kind + ") produces no items to feed '" +
                        op.name + "'",
                    "feed '" + op.name + "' from the op before '" + in.op + "'");
        continue;
      }
      if (std::find(sig->accepts.begin(), sig->accepts.end(), from_sig->produces) ==
          sig->accepts.end()) {
        std::vector<std::string> accepted;
        for (ItemKind k : sig->accepts) accepted.push_back(to_string(k));
        diags.error(in.where,
                    "op '" + op.name + "' (" + sig->kind + ") cannot take " +
                        to_string(from_sig->produces) + " items from '" + in.op + "'",
                    "it takes: " + join(accepted));
      }
      upstream_fields.insert(upstream_fields.end(), from_sig->fields.begin(),
                             from_sig->fields.end());
    }

    if (op.when && !op.inputs.empty()) {
      for (const std::string& field : op.when->fields()) {
        if (std::find(upstream_fields.begin(), upstream_fields.end(), field) !=
            upstream_fields.end())
          continue;
        diags.error(op.when_where,
                    "the 'when' of op '" + op.name + "' reads field '" + field +
                        "', which its input items do not have",
                    suggest(field, upstream_fields, "fields: " + join(upstream_fields)));
      }
    }
    check_params(spec, op, *sig, diags);
    check_knobs(op, *sig, diags);
  }

  if (!spec.ops.empty() && !has_source)
    diags.error({spec.file, 1, 1}, "the pipeline has no source op", "start it with an op: decode");

  for (const InputRef& out : spec.outputs) {
    const OpSpec* op = spec.find_op(out.op);
    const OpSignature* sig = op ? catalog.find(op->kind) : nullptr;
    if (!op) {
      diags.error(out.where, "'outputs' names '" + out.op + "', which is not an op",
                  suggest(out.op, op_names, "list sink or encode ops"));
    } else if (sig && sig->produces_items) {
      diags.error(out.where,
                  "'outputs' names '" + out.op + "' (" + sig->kind + "), which writes nothing",
                  "list sink or encode ops");
    }
  }
}

}  // namespace llama::spec
