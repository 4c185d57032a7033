// A run's checkpoint (llama run --resume): each stateful op's state at a moment when every
// frame before it had gone all the way through the pipeline and none after had started, with
// the run's counters then. It lives in OUT/.llama/ beside the results it covers, as CBOR (a
// motion filter's last frame is bytes), and is replaced whole or not at all.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "exec/executor.h"

namespace llama::exec {

constexpr int kCheckpointVersion = 1;

// OUT/.llama: the checkpoint and encode's parts; a run that completes removes it.
std::string state_dir(const std::string& out_dir);
std::string checkpoint_path(const std::string& out_dir);

// Written to a temporary file, flushed to the disk and renamed over the old one, so a kill
// at any moment leaves the previous checkpoint or this one. Throws Error(output).
void write_checkpoint(const std::string& path, const nlohmann::json& checkpoint);

// Throws Error(output) naming the file when it is unreadable, damaged or from another
// version of llama, with the --force hint.
nlohmann::json read_checkpoint(const std::string& path);

nlohmann::json to_json(const OpStats& stats);
OpStats op_stats_from_json(const nlohmann::json& json);

}  // namespace llama::exec
