#include "spec/loader.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "base/error.h"
#include "spec/duration.h"
#include "spec/yaml_util.h"

namespace llama::spec {

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kPipelineKeys = {"name", "input", "slo", "models", "ops", "outputs"};
const std::vector<std::string> kOpKeys = {"name", "op",     "input", "inputs",
                                          "when", "params", "knobs"};

class Loader {
 public:
  Loader(std::string file, Diagnostics& diagnostics)
      : file_(std::move(file)), base_dir_(fs::path(file_).parent_path()), diags_(diagnostics) {}

  PipelineSpec load(const YAML::Node& root) {
    PipelineSpec spec;
    spec.file = file_;
    if (!root.IsMap()) {
      diags_.error(at(root), "a pipeline must be a YAML mapping with name, input and ops",
                   "see pipelines/motion_count.yaml for the shape");
      return spec;
    }
    check_keys(root, kPipelineKeys, "pipeline");
    spec.name = scalar(root["name"], "name");
    if (spec.name.empty()) spec.name = fs::path(file_).stem().string();
    read_inputs(root["input"], spec);
    read_slo(root["slo"], spec);
    read_models(root["models"], spec);
    read_ops(root["ops"], spec);
    read_outputs(root["outputs"], spec);
    return spec;
  }

 private:
  SourceLocation at(const YAML::Node& node) const { return location_of(file_, node); }

  // yaml-cpp gives keys no Mark of their own through the map API; the value's place is the
  // nearest a user needs.
  void check_keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                  const std::string& what) {
    for (const auto& entry : map) {
      std::string key = entry.first.as<std::string>();
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string suggestion = did_you_mean(key, allowed);
      std::string allowed_list;
      for (const auto& a : allowed) allowed_list += (allowed_list.empty() ? "" : ", ") + a;
      diags_.error(at(entry.first), "unknown key '" + key + "' in " + what,
                   suggestion.empty() ? "allowed keys: " + allowed_list
                                      : "did you mean '" + suggestion + "'?");
    }
  }

  std::string scalar(const YAML::Node& node, const std::string& what) {
    if (!node || node.IsNull()) return "";
    if (!node.IsScalar()) {
      diags_.error(at(node), "'" + what + "' must be a single value");
      return "";
    }
    return node.as<std::string>();
  }

  std::string resolve(const std::string& path) const {
    if (path.empty() || fs::path(path).is_absolute()) return path;
    return (base_dir_ / path).lexically_normal().string();
  }

  void read_inputs(const YAML::Node& node, PipelineSpec& spec) {
    if (!node) return;
    spec.input_where = at(node);
    if (node.IsScalar()) {
      spec.inputs.push_back(resolve(node.as<std::string>()));
    } else if (node.IsSequence()) {
      for (const auto& item : node) spec.inputs.push_back(resolve(scalar(item, "input")));
    } else {
      diags_.error(at(node), "'input' must be a video path or a list of them");
    }
  }

  void read_slo(const YAML::Node& node, PipelineSpec& spec) {
    if (!node) return;
    spec.slo_where = at(node);
    std::string text = scalar(node, "slo");
    auto seconds = parse_duration_s(text);
    if (!seconds || *seconds <= 0) {
      diags_.error(at(node), "slo '" + text + "' is not a positive duration", kDurationHelp);
      return;
    }
    spec.slo = LatencyTarget(*seconds);
  }

  void read_models(const YAML::Node& node, PipelineSpec& spec) {
    if (!node) return;
    if (!node.IsMap()) {
      diags_.error(at(node), "'models' must map a model name to its description");
      return;
    }
    for (const auto& entry : node) {
      ModelSpec model;
      model.name = entry.first.as<std::string>();
      model.where = at(entry.second);
      if (entry.second.IsScalar()) {
        model.path = resolve(entry.second.as<std::string>());
      } else if (entry.second.IsMap()) {
        model.fields = to_json(entry.second);
        if (entry.second["path"]) model.path = resolve(entry.second["path"].as<std::string>());
      }
      if (model.path.empty())
        diags_.error(model.where, "model '" + model.name + "' has no path",
                     "give the model file or folder, e.g. path: ../models/nanodet");
      spec.models.push_back(std::move(model));
    }
  }

  // Aliases share one node in yaml-cpp but are copied here: a few hundred bytes of nested
  // aliases ("billion laughs") would expand to billions of values and hang the loader.
  static constexpr size_t kMaxJsonValues = 10000;

  nlohmann::json to_json(const YAML::Node& node) {
    if (++json_values_ > kMaxJsonValues) {
      SourceLocation where = at(node);
      throw Error(ExitCode::bad_spec,
                  where.file + ":" + std::to_string(where.line) + ":" +
                      std::to_string(where.column) + ": error: params and models expand to " +
                      "more than " + std::to_string(kMaxJsonValues) +
                      " values (YAML aliases copy what they name) (write smaller values)");
    }
    if (node.IsSequence()) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& item : node) list.push_back(to_json(item));
      return list;
    }
    if (node.IsMap()) {
      nlohmann::json map = nlohmann::json::object();
      for (const auto& entry : node) map[entry.first.as<std::string>()] = to_json(entry.second);
      return map;
    }
    if (!node.IsScalar()) return nullptr;
    // Keep quoted text as text: `label: "1"` stays a string.
    const std::string& text = node.Scalar();
    if (node.Tag() == "!") return text;
    if (text == "true" || text == "false") return text == "true";
    try {
      size_t used = 0;
      long long integer = std::stoll(text, &used);
      if (used == text.size()) return integer;
      double number = std::stod(text, &used);
      if (used == text.size()) return number;
    } catch (const std::exception&) {
    }
    return text;
  }

  void read_ops(const YAML::Node& node, PipelineSpec& spec) {
    if (!node || !node.IsSequence() || node.size() == 0) {
      diags_.error(node ? at(node) : SourceLocation{file_, 1, 1}, "the pipeline has no ops",
                   "add an 'ops:' list, starting with a decode op");
      return;
    }
    for (const auto& entry : node) {
      if (!entry.IsMap()) {
        diags_.error(at(entry), "each op must be a mapping with name and op");
        continue;
      }
      OpSpec op;
      op.where = at(entry);
      op.name = scalar(entry["name"], "name");
      op.kind = scalar(entry["op"], "op");
      op.kind_where = entry["op"] ? at(entry["op"]) : op.where;
      std::string label = op.name.empty() ? "an op" : "op '" + op.name + "'";
      check_keys(entry, kOpKeys, label);
      if (op.name.empty()) diags_.error(op.where, "op without a name", "add 'name: <unique name>'");
      if (op.kind.empty())
        diags_.error(op.where, label + " does not say which op it is",
                     "add 'op: <kind>', e.g. op: motion_filter");
      if (!op.name.empty() && spec.find_op(op.name))
        diags_.error(op.where, "op name '" + op.name + "' is used twice",
                     "give each op its own name");
      read_op_inputs(entry, op, label);
      read_when(entry["when"], op, label);
      read_params(entry["params"], op, label);
      read_knobs(entry["knobs"], op, label);
      spec.ops.push_back(std::move(op));
    }
  }

  void read_op_inputs(const YAML::Node& entry, OpSpec& op, const std::string& label) {
    if (entry["input"] && entry["inputs"])
      diags_.error(at(entry["inputs"]), label + " has both 'input' and 'inputs'", "keep one");
    for (const char* key : {"input", "inputs"}) {
      const YAML::Node node = entry[key];
      if (!node) continue;
      if (node.IsScalar()) {
        op.inputs.push_back({node.as<std::string>(), at(node)});
      } else if (node.IsSequence()) {
        for (const auto& item : node) op.inputs.push_back({scalar(item, key), at(item)});
      } else {
        diags_.error(at(node), std::string("'") + key + "' of " + label +
                                   " must name an op or list op names");
      }
    }
  }

  void read_when(const YAML::Node& node, OpSpec& op, const std::string& label) {
    if (!node) return;
    op.when_where = at(node);
    std::string text = scalar(node, "when");
    try {
      op.when = Condition::parse(text);
    } catch (const ConditionError& e) {
      SourceLocation where = op.when_where;
      // Point at the offending character when the condition sits on one line.
      if (node.Style() == YAML::EmitterStyle::Flow || text.find('\n') == std::string::npos)
        where.column +=
            static_cast<int>(e.offset) + (node.Tag() == "!" ? 1 : 0);  // skip the opening quote
      diags_.error(where, "bad condition in 'when' of " + label + ": " + e.message,
                   "write e.g. label == \"person\" && score > 0.5");
    }
  }

  void read_params(const YAML::Node& node, OpSpec& op, const std::string& label) {
    if (!node) return;
    if (!node.IsMap()) {
      diags_.error(at(node), "'params' of " + label + " must be a mapping");
      return;
    }
    for (const auto& entry : node)
      op.params[entry.first.as<std::string>()] = {to_json(entry.second), at(entry.second)};
  }

  void read_knobs(const YAML::Node& node, OpSpec& op, const std::string& label) {
    if (!node) return;
    if (!node.IsMap()) {
      diags_.error(at(node), "'knobs' of " + label + " must map a knob to its allowed values",
                   "e.g. knobs: {threads: [1, 2], batch: [1, 4]}");
      return;
    }
    for (const auto& entry : node) {
      Knob knob;
      knob.where = at(entry.second);
      if (entry.second.IsScalar()) {
        knob.values.push_back(entry.second.as<std::string>());
      } else if (entry.second.IsSequence() && entry.second.size() > 0) {
        for (const auto& v : entry.second) knob.values.push_back(scalar(v, "knob value"));
      } else {
        diags_.error(knob.where, "knob '" + entry.first.as<std::string>() + "' of " + label +
                                     " needs a value or a non-empty list of values");
        continue;
      }
      op.knobs[entry.first.as<std::string>()] = std::move(knob);
    }
  }

  void read_outputs(const YAML::Node& node, PipelineSpec& spec) {
    if (!node) return;
    if (node.IsScalar()) {
      spec.outputs.push_back({node.as<std::string>(), at(node)});
    } else if (node.IsSequence()) {
      for (const auto& item : node) spec.outputs.push_back({scalar(item, "outputs"), at(item)});
    } else {
      diags_.error(at(node), "'outputs' must list the names of sink or encode ops");
    }
  }

  std::string file_;
  fs::path base_dir_;
  Diagnostics& diags_;
  size_t json_values_ = 0;  // made by to_json so far, for kMaxJsonValues
};

}  // namespace

PipelineSpec load_pipeline_text(const std::string& text, const std::string& file,
                                Diagnostics& diagnostics) {
  YAML::Node root = parse_yaml(text, file);
  // The loader reads keys and names with as<std::string>(), which throws yaml-cpp's own
  // exception where the file has a list or mapping (`{[a]: 1}`); it must reach the user as a
  // bad spec, like every other mistake in the file.
  try {
    return Loader(file, diagnostics).load(root);
  } catch (const YAML::Exception& e) {
    throw yaml_value_error(file, e);
  }
}

PipelineSpec load_pipeline_file(const std::string& path, Diagnostics& diagnostics) {
  std::ifstream in(path);
  if (!in)
    throw Error(
        ExitCode::bad_spec,
        path +
            ": error: cannot read the pipeline file (check the path; examples are in pipelines/)");
  std::stringstream text;
  text << in.rdbuf();
  return load_pipeline_text(text.str(), path, diagnostics);
}

}  // namespace llama::spec
