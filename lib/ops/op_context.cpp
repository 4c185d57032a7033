#include "ops/op.h"

#include <filesystem>

#include "base/error.h"
#include "spec/duration.h"

namespace llama::ops {

std::string OpContext::param_string(const std::string& name, const std::string& fallback) const {
  auto it = spec->params.find(name);
  if (it == spec->params.end()) return fallback;
  return it->second.value.is_string() ? it->second.value.get<std::string>()
                                      : it->second.value.dump();
}

double OpContext::param_number(const std::string& name, double fallback) const {
  auto it = spec->params.find(name);
  if (it == spec->params.end() || !it->second.value.is_number()) return fallback;
  return it->second.value.get<double>();
}

double OpContext::param_duration_s(const std::string& name, double fallback) const {
  auto it = spec->params.find(name);
  if (it == spec->params.end() || !it->second.value.is_string()) return fallback;
  return spec::parse_duration_s(it->second.value.get<std::string>()).value_or(fallback);
}

double OpContext::knob_number(const std::string& name, double fallback) const {
  auto it = config.find(name);
  if (it == config.end()) return fallback;
  try {
    return std::stod(it->second);
  } catch (const std::exception&) {
    throw Error(ExitCode::bad_spec, "op '" + spec->name + "': knob " + name + " = '" + it->second +
                                        "' is not a number");
  }
}

std::string OpContext::param_path(const std::string& name) const {
  namespace fs = std::filesystem;
  std::string path = param_string(name, "");
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(spec->where.file).parent_path() / path).lexically_normal().string();
}

const spec::ModelSpec& OpContext::model(const std::string& param) const {
  std::string name = param_string(param, "");
  auto it = models.find(name);
  if (it == models.end())
    throw Error(ExitCode::bad_spec,
                "op '" + spec->name + "': model '" + name + "' is not in the pipeline's models:");
  return it->second;
}

std::string OpContext::knob_string(const std::string& name, const std::string& fallback) const {
  auto it = config.find(name);
  return it == config.end() ? fallback : it->second;
}

}  // namespace llama::ops
