#include "spec/price_sheet.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "spec/diagnostics.h"
#include "spec/yaml_util.h"

namespace llama::spec {

namespace {

const std::vector<std::string> kKeys = {"currency", "source", "cpu_core_second", "gpu_second"};

// A price is a non-negative number of dollars; 0 is allowed (resources you own outright).
// Finite too: YAML's .inf is a number, but costs are written as JSON, which has no infinity.
double price(const std::string& file, const YAML::Node& node, const std::string& what,
             Diagnostics& diags) {
  try {
    double v = node.as<double>();
    if (v >= 0 && std::isfinite(v)) return v;
  } catch (const YAML::Exception&) {
  }
  diags.error(location_of(file, node), what + " must be a number of dollars, 0 or more",
              "e.g. cpu_core_second: 0.0000131");
  return 0;
}

}  // namespace

double PriceSheet::gpu_second_for(const std::string& gpu_name) const {
  for (const auto& [fragment, dollars] : gpu_by_name)
    if (gpu_name.find(fragment) != std::string::npos) return dollars;
  return gpu_second;
}

namespace {

PriceSheet read_price_sheet(const YAML::Node& root, const std::string& file) {
  Diagnostics diags;
  PriceSheet sheet;
  sheet.file = file;
  if (!root.IsMap()) {
    diags.error(location_of(file, root), "a price sheet is a mapping",
                "give cpu_core_second and gpu_second (see profiles/prices.yaml)");
    diags.throw_if_any();
  }
  for (const auto& entry : root) {
    std::string key = entry.first.as<std::string>();
    if (std::find(kKeys.begin(), kKeys.end(), key) != kKeys.end()) continue;
    std::string guess = did_you_mean(key, kKeys);
    diags.error(location_of(file, entry.second), "unknown key '" + key + "' in the price sheet",
                guess.empty() ? "keys: currency, source, cpu_core_second, gpu_second"
                              : "did you mean '" + guess + "'?");
  }
  if (root["currency"] && root["currency"].as<std::string>() != "USD")
    diags.error(location_of(file, root["currency"]), "only USD prices are supported",
                "convert the prices to USD");
  if (root["source"]) sheet.source = root["source"].as<std::string>();
  if (!root["cpu_core_second"])
    diags.error({file, 1, 1}, "the price sheet has no cpu_core_second",
                "add cpu_core_second: <$ per core-second>");
  else
    sheet.core_second = price(file, root["cpu_core_second"], "cpu_core_second", diags);
  const YAML::Node gpu = root["gpu_second"];
  if (gpu && gpu.IsMap()) {
    // A map: per GPU model, with `default` for the rest.
    for (const auto& entry : gpu) {
      std::string name = entry.first.as<std::string>();
      double dollars = price(file, entry.second, "gpu_second." + name, diags);
      if (name == "default")
        sheet.gpu_second = dollars;
      else
        sheet.gpu_by_name.emplace_back(name, dollars);
    }
    if (!gpu["default"])
      diags.error(location_of(file, gpu), "gpu_second has no default",
                  "add default: <$ per GPU-second> for GPUs not listed");
  } else if (gpu) {
    sheet.gpu_second = price(file, gpu, "gpu_second", diags);
  } else {
    diags.error({file, 1, 1}, "the price sheet has no gpu_second",
                "add gpu_second: <$ per GPU-second> (0 if you have no GPU)");
  }
  diags.throw_if_any();
  return sheet;
}

}  // namespace

PriceSheet load_price_sheet_text(const std::string& text, const std::string& file) {
  YAML::Node root = parse_yaml(text, file);
  // Keys, currency and source are read with as<std::string>(), which throws yaml-cpp's own
  // exception where the sheet has a list or mapping; the user must get a bad-spec error.
  try {
    return read_price_sheet(root, file);
  } catch (const YAML::Exception& e) {
    throw yaml_value_error(file, e);
  }
}

PriceSheet load_price_sheet(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw Error(ExitCode::bad_spec, path + ": error: cannot read the price sheet (check the " +
                                        "path; profiles/prices.yaml is the default)");
  std::stringstream text;
  text << in.rdbuf();
  return load_price_sheet_text(text.str(), path);
}

}  // namespace llama::spec
