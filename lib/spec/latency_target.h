// A job's latency target (its SLO): a positive number of seconds, or none. One type from the
// pipeline's `slo:` and --slo through the plan to the scheduler, so "no target" is never a
// magic 0 and a missing check fails loudly instead of pacing frames over zero seconds.
#pragma once

#include <string>

namespace llama::spec {

class LatencyTarget {
 public:
  LatencyTarget() = default;  // none
  // Throws std::invalid_argument unless `seconds` is positive and finite.
  explicit LatencyTarget(double seconds);

  bool given() const { return seconds_ > 0; }
  explicit operator bool() const { return given(); }
  // The target in seconds; throws std::logic_error when there is none.
  double seconds() const;
  // "1m30s", "500ms"; "none".
  std::string to_string() const;
  bool operator==(const LatencyTarget& other) const { return seconds_ == other.seconds_; }
  bool operator!=(const LatencyTarget& other) const { return seconds_ != other.seconds_; }

 private:
  double seconds_ = 0;
};

}  // namespace llama::spec
