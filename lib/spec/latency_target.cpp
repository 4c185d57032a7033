#include "spec/latency_target.h"

#include <cmath>
#include <stdexcept>

#include "spec/duration.h"

namespace llama::spec {

LatencyTarget::LatencyTarget(double seconds) : seconds_(seconds) {
  if (!(seconds > 0) || !std::isfinite(seconds))
    throw std::invalid_argument("a latency target must be a positive number of seconds, not " +
                                std::to_string(seconds));
}

double LatencyTarget::seconds() const {
  if (!given()) throw std::logic_error("the job has no latency target (check given() first)");
  return seconds_;
}

std::string LatencyTarget::to_string() const {
  return given() ? format_duration(seconds_) : "none";
}

}  // namespace llama::spec
