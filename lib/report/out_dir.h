// The --out folder: made if missing and proven writable before any work starts, so a bad
// folder fails in a second, not after an hour of decoding.
#pragma once

#include <string>

namespace llama::report {

void prepare_out_dir(const std::string& path);  // throws Error(output)

}  // namespace llama::report
