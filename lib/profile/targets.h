// Which ops of a pipeline the store keys, and how: op kind, implementation version, model
// identity, input shape, and the op's knob space. The profiler measures these keys and the
// planner looks them up, so both must build them the same way; plain C++ over the graph,
// without torch.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"
#include "profile/knob_space.h"
#include "profile/store.h"

namespace llama::profile {

// One op of the pipeline as the store keys it.
struct OpTarget {
  int node = -1;  // index in the pipeline's graph
  const spec::OpSpec* op = nullptr;
  EntryKey base;                // op_kind, impl_version, model_id, input; no config/batch
  std::vector<Config> configs;  // its knob space, batch included
  std::string error;            // why it cannot be profiled (model unreadable); "" if fine
};

// The ops to profile (writers left out of `outputs:` are never run, so never profiled), in
// topological order. `frame_size` is "WxH" of the decoded frames: no op resizes the frames
// it passes on, so it is the input of every op (crops vary per detection; they are keyed by
// the frame they were cut from). Knob-space notes go to `notes`.
std::vector<OpTarget> profile_targets(const graph::Pipeline& pipeline,
                                      const std::string& frame_size, bool cuda,
                                      std::vector<std::string>* notes);

EntryKey entry_key(const OpTarget& target, const Config& config);

}  // namespace llama::profile
