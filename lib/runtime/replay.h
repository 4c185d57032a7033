// Replay (llama simulate --replay): a run's journal (Core with CoreOptions::journal; llama run
// --trace keeps it in the trace) fed to a fresh core on a virtual clock, event by event at the
// recorded times: every latency, output and arrival as measured. Each call the run started is
// compared with the one the fresh core starts: the same op, config, items and order show that
// the runtime core is a pure function of what it was told, so the simulator, which drives the
// same core, is the runtime.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace llama::runtime {

struct ReplayResult {
  int64_t decisions = 0;  // calls the recorded run started
  int64_t same = 0;       // of them, started alike by the replay, in order, before any differed
  // The first that differed: "call 12 at 3.41 s: recorded detect {threads=1} b4 on 4 items,
  // replayed ..."; empty when none did.
  std::string first_difference;
};

// Throws Error(bad_input) naming `file` when the journal is missing or damaged.
ReplayResult replay(const nlohmann::json& journal, const std::string& file);

}  // namespace llama::runtime
