// Durations as users write them: "2s", "500ms", "1m30s", "1.5h". A bare number is refused,
// because "20" could mean seconds or milliseconds.
#pragma once

#include <optional>
#include <string>

namespace llama::spec {

// Seconds, or nullopt when the text is not a duration. Zero is accepted here; callers that
// need a positive duration say so in their own error.
std::optional<double> parse_duration_s(const std::string& text);

// "1m30s", "500ms", "2s": the shortest form that reads back to the same value.
std::string format_duration(double seconds);

struct OpSpec;

// An op's param written as a duration (`start: 1m30s`, `max_age: 2s`), in seconds; `fallback`
// when it is absent or not a duration (the validator has said so already).
double duration_param(const OpSpec& op, const std::string& name, double fallback);

inline const char* kDurationHelp = "write a duration with units, e.g. 2s, 500ms, 1m30s";

}  // namespace llama::spec
