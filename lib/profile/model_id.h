// Which model weights a profile entry was measured with. Other weights (a re-exported model,
// another input size baked into the graph) run at another speed, so entries are keyed by a
// hash of the model's bytes, not by its name or path.
#pragma once

#include <string>
#include <vector>

namespace llama::profile {

// The files that make up the model at `path`: the file itself, and for a TFJS graph model
// (.json) its weight shards: the paths its weightsManifest lists (relative to the .json),
// or, when it lists none, <stem>.bin next to it if that exists.
std::vector<std::string> model_files(const std::string& path);

// 16 hex digits of FNV-1a over the bytes of `files`, in order. Throws Error(bad_input)
// naming a file that cannot be read (with the fix: scripts/setup fetches the models).
std::string model_id(const std::vector<std::string>& files);

}  // namespace llama::profile
