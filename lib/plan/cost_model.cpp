#include "plan/cost_model.h"

#include <stdexcept>

namespace llama::plan {

Resources resources_of(const std::map<std::string, std::string>& config) {
  Resources r;
  auto threads = config.find("threads");
  if (threads != config.end()) {
    // Knob values are validated against the op's range before a run; a bad one here is
    // a bug, and costing it as one core would hide it.
    r.cores = std::stod(threads->second);
    if (r.cores < 1) throw std::invalid_argument("threads = " + threads->second);
  }
  auto device = config.find("device");
  if (device != config.end() && device->second.rfind("cuda", 0) == 0) r.gpus = 1;
  return r;
}

Cost& Cost::operator+=(const Cost& other) {
  core_s += other.core_s;
  gpu_s += other.gpu_s;
  dollars += other.dollars;
  return *this;
}

Cost cost_of(const Resources& held, double seconds, const spec::PriceSheet& prices,
             const std::string& gpu_name) {
  Cost c;
  c.core_s = held.cores * seconds;
  c.gpu_s = held.gpus * seconds;
  // The GPU's price is looked up by name only when one is held: this runs on every decision.
  c.dollars = c.core_s * prices.core_second;
  if (c.gpu_s > 0) c.dollars += c.gpu_s * prices.gpu_second_for(gpu_name);
  return c;
}

}  // namespace llama::plan
