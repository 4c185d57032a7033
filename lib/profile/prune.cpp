#include "profile/prune.h"

#include <cstdlib>

namespace llama::profile {

namespace {

// The knobs that say how much of the machine an invocation holds; every other knob (but
// batch, which is split off) is a variant.
bool is_resource_knob(const std::string& knob) {
  return knob == "device" || knob == "threads" || knob == "batch";
}

// A config without a threads knob runs on the op's default; count it as one thread so it
// still compares with configs that name a number.
int threads_of(const Config& c) {
  auto it = c.find("threads");
  return it == c.end() ? 1 : std::atoi(it->second.c_str());
}

bool uses_gpu(const Config& c) {
  auto it = c.find("device");
  return it != c.end() && it->second.rfind("cuda", 0) == 0;
}

}  // namespace

bool uses_no_more(const Config& a, const Config& b) {
  Config va, vb;
  for (const auto& [k, v] : a)
    if (!is_resource_knob(k)) va[k] = v;
  for (const auto& [k, v] : b)
    if (!is_resource_knob(k)) vb[k] = v;
  if (va != vb) return false;
  if (uses_gpu(a) && !uses_gpu(b)) return false;
  return threads_of(a) <= threads_of(b);
}

std::set<Config> dominated(const Measured& measured) {
  std::set<Config> out;
  for (const auto& [b, b_means] : measured) {
    if (b_means.empty()) continue;
    for (const auto& [a, a_means] : measured) {
      if (a == b || !uses_no_more(a, b)) continue;
      bool faster_everywhere = true;
      for (const auto& [batch, b_ms] : b_means) {
        auto it = a_means.find(batch);
        if (it == a_means.end() || !(it->second < b_ms)) {
          faster_everywhere = false;
          break;
        }
      }
      if (faster_everywhere) {
        out.insert(b);
        break;
      }
    }
  }
  return out;
}

}  // namespace llama::profile
