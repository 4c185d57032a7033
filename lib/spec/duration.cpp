#include "spec/duration.h"

#include "spec/pipeline_spec.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace llama::spec {

std::optional<double> parse_duration_s(const std::string& text) {
  size_t i = 0;
  double total = 0;
  bool any = false;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
      ++i;
    if (i == start) return std::nullopt;
    std::string number = text.substr(start, i - start);
    char* end = nullptr;
    double value = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size()) return std::nullopt;
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit = text.substr(unit_start, i - unit_start);
    double scale = 0;
    if (unit == "h")
      scale = 3600;
    else if (unit == "m" || unit == "min")
      scale = 60;
    else if (unit == "s")
      scale = 1;
    else if (unit == "ms")
      scale = 1e-3;
    else if (unit == "us")
      scale = 1e-6;
    else
      return std::nullopt;
    total += value * scale;
    any = true;
  }
  if (!any || !std::isfinite(total)) return std::nullopt;
  return total;
}

std::string format_duration(double seconds) {
  char buffer[64];
  if (seconds < 1.0) {
    std::snprintf(buffer, sizeof buffer, "%gms", seconds * 1e3);
    return buffer;
  }
  if (seconds < 60.0) {
    std::snprintf(buffer, sizeof buffer, "%gs", seconds);
    return buffer;
  }
  double minutes = std::floor(seconds / 60.0);
  std::snprintf(buffer, sizeof buffer, "%gm%gs", minutes, seconds - minutes * 60.0);
  return buffer;
}

double duration_param(const OpSpec& op, const std::string& name, double fallback) {
  auto it = op.params.find(name);
  if (it == op.params.end() || !it->second.value.is_string()) return fallback;
  return parse_duration_s(it->second.value.get<std::string>()).value_or(fallback);
}

}  // namespace llama::spec
