// JSON files of a cluster job: read with errors naming the file, written atomically (a task
// or a merge that dies mid-write leaves the old file, never half of one).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace llama::cluster {

// Throws Error(bad_input) naming the file: missing, unreadable or not JSON.
nlohmann::json read_json_file(const std::string& path);
// Throws Error(output) naming the file.
void write_json_file(const std::string& path, const nlohmann::json& value);

}  // namespace llama::cluster
