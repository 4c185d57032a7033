// Which configs of an op `llama profile` stops measuring. The rule (DESIGN "Profiling": a
// config whose latency and cost are both worse than another's at every batch size need not
// be measured further):
//
//   Config B is dropped when some other config A of the same op
//     - is the same variant (every knob but device, threads and batch agrees: a variant such
//       as decode fps or detect input_size changes what the op does, so its latency is not
//       comparable),
//     - holds no more resources (A's threads <= B's threads, and A uses a GPU only if B does),
//     - was measured at every batch size B was measured at, and was strictly faster at each.
//   Then B costs more (resources x time) and is slower: the planner would never pick it, so
//   it is not measured at further batch sizes. Ties keep both.
#pragma once

#include <map>
#include <set>

#include "profile/knob_space.h"

namespace llama::profile {

// Config without batch -> batch size -> measured mean latency (ms).
using Measured = std::map<Config, std::map<int, double>>;

// True when `a` holds no more resources than `b` and is the same variant.
bool uses_no_more(const Config& a, const Config& b);

// The configs (without batch) of `measured` that the rule above drops.
std::set<Config> dominated(const Measured& measured);

}  // namespace llama::profile
