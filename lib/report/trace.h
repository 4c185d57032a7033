// --trace FILE: the run's invocations in the Chrome trace-event format, which Perfetto
// (ui.perfetto.dev) and chrome://tracing open: one track per CPU slot (worker thread) and
// per GPU stream, one slice per invocation named by its op, with its config, batch, slack and
// deadline as arguments. Beside them, under "llamaReplay", the runtime core's journal, for
// llama simulate --replay (runtime/replay.h).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "exec/executor.h"

namespace llama::report {

nlohmann::json build_trace(const std::string& pipeline, const exec::RunResult& result);

// Written atomically like report.json. Throws Error(output) naming the path.
void write_trace(const std::string& path, const nlohmann::json& trace);

}  // namespace llama::report
