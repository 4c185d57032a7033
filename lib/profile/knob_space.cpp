#include "profile/knob_space.h"

#include <cmath>
#include <cstdlib>

namespace llama::profile {

namespace {

// Why `value` is not a value the op accepts for `knob`, or "" when it is.
std::string rejection(const spec::KnobSignature& knob, const std::string& value, bool cuda) {
  if (knob.name == "device" && value == "cuda" && !cuda)
    return "no CUDA device is visible to this libtorch";
  if (!knob.choices.empty()) {
    for (const std::string& c : knob.choices)
      if (c == value) return "";
    std::string list;
    for (const std::string& c : knob.choices) list += (list.empty() ? "" : ", ") + c;
    return "the op supports only " + list;
  }
  char* end = nullptr;
  double number = std::strtod(value.c_str(), &end);
  if (value.empty() || end == nullptr || *end != '\0') return "not a number";
  if (number < knob.min || number > knob.max) return "outside the op's range";
  if (knob.integer && std::floor(number) != number) return "not an integer";
  return "";
}

}  // namespace

std::vector<Config> knob_space(const spec::OpSpec& op, const spec::OpSignature& signature,
                               bool cuda, std::vector<std::string>* notes) {
  // Allowed values per knob, in the pipeline's order (the first is the default).
  std::vector<std::pair<std::string, std::vector<std::string>>> axes;
  for (const auto& [name, knob] : op.knobs) {
    const spec::KnobSignature* declared = signature.find_knob(name);
    std::vector<std::string> kept;
    for (const std::string& value : knob.values) {
      // A knob the op does not declare was already refused by the validator; keep its
      // values rather than guess, so the op itself says what is wrong.
      std::string why = declared ? rejection(*declared, value, cuda) : "";
      if (why.empty()) {
        kept.push_back(value);
      } else if (notes) {
        notes->push_back("op '" + op.name + "': not profiling " + name + " = " + value + " (" +
                         why + ")");
      }
    }
    if (kept.empty()) {
      if (notes)
        notes->push_back("op '" + op.name + "': no value of knob '" + name +
                         "' can run here, so the op has no config to profile");
      return {};
    }
    axes.emplace_back(name, std::move(kept));
  }

  // Odometer over the value indices, the last knob turning fastest; index 0 everywhere is
  // the first config.
  std::vector<Config> configs;
  std::vector<size_t> index(axes.size(), 0);
  while (true) {
    Config config;
    for (size_t k = 0; k < axes.size(); ++k) config[axes[k].first] = axes[k].second[index[k]];
    configs.push_back(std::move(config));
    size_t k = axes.size();
    while (k > 0) {
      --k;
      if (++index[k] < axes[k].second.size()) break;
      index[k] = 0;
      if (k == 0) return configs;
    }
    if (axes.empty()) return configs;
  }
}

int batch_of(const Config& config) {
  auto it = config.find("batch");
  if (it == config.end()) return 1;
  int batch = std::atoi(it->second.c_str());
  return batch < 1 ? 1 : batch;
}

Config without_batch(Config config) {
  config.erase("batch");
  return config;
}

bool same_but_batch(const Config& a, const Config& b) {
  auto i = a.begin(), j = b.begin();
  while (true) {
    if (i != a.end() && i->first == "batch") ++i;
    if (j != b.end() && j->first == "batch") ++j;
    if (i == a.end() || j == b.end()) return i == a.end() && j == b.end();
    if (*i != *j) return false;
    ++i;
    ++j;
  }
}

std::string format_config(const Config& config) {
  std::string out = "{";
  for (const auto& [knob, value] : config) out += (out.size() > 1 ? ", " : "") + knob + "=" + value;
  return out + "}";
}

}  // namespace llama::profile
