// Integers read from the profile store, a file people edit and copy by hand. nlohmann turns
// any number into an integer with a plain cast: undefined behaviour for a float outside the
// type's range (`"batch": 1e300`), and a silent wrap for a large integer (`"cores":
// 4294967298` reads as 2). This refuses both with nlohmann's own type_error, which the store's
// readers already report as a corrupt store.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace llama::profile {

// Floats within range still truncate, as nlohmann's get_to did.
template <class Int>
Int json_int(const nlohmann::json& j) {
  static_assert(std::is_integral_v<Int> && std::is_signed_v<Int>);
  using limits = std::numeric_limits<Int>;
  if (j.is_number_unsigned()) {
    if (j.get<uint64_t>() <= static_cast<uint64_t>(limits::max())) return j.get<Int>();
  } else if (j.is_number_integer()) {
    int64_t v = j.get<int64_t>();
    if (v >= limits::min() && v <= limits::max()) return static_cast<Int>(v);
  } else if (j.is_number_float()) {
    // -min is 2^(bits-1), exact as a double, unlike max.
    double v = j.get<double>();
    if (v >= static_cast<double>(limits::min()) && v < -static_cast<double>(limits::min()))
      return static_cast<Int>(v);
  } else {
    return j.get<Int>();  // not a number: nlohmann's own type_error names the type
  }
  throw nlohmann::json::type_error::create(302,
                                           "number " + j.dump() + " does not fit a " +
                                               std::to_string(limits::digits + 1) + "-bit integer",
                                           &j);
}

}  // namespace llama::profile
