// What a profile was measured on. A latency measured on one machine says little about
// another, so every store is keyed by this fingerprint and only a store whose fingerprint
// equals this machine's is ever used.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace llama::profile {

struct Fingerprint {
  std::string cpu_model;
  int cores = 0;
  std::string gpu_name;       // "" when there is no GPU
  int64_t gpu_memory_mb = 0;  // 0 when there is no GPU
  std::string torch_version;  // "" for stores written without torch

  bool operator==(const Fingerprint& other) const;
  bool operator!=(const Fingerprint& other) const { return !(*this == other); }
};

// CPU model from /proc/cpuinfo and the hardware threads the OS gives us. The GPU fields and
// torch_version stay empty: the caller owns torch and fills them in.
Fingerprint cpu_fingerprint();

// The CPU model named in the text of a /proc/cpuinfo ("model name", or on ARM "Hardware"/
// "Processor"); "unknown cpu" when it names none. Split out so it can be tested on any text.
std::string cpu_model_from_cpuinfo(const std::string& cpuinfo);

// A short, file-name-safe key that never changes for the same fingerprint (stores are found
// by it across builds): "<cpu slug>-<cores>c[-<gpu slug>]-<8 hex of FNV-1a over all fields>".
// The slugs make a directory of stores readable; the hash tells apart machines whose slugs
// agree but whose fields (GPU memory, torch version, a truncated model name) do not.
std::string key(const Fingerprint& fp);

// One line for people: "Intel Xeon Gold 6130, 16 cores, NVIDIA A100 (40960 MB), torch 2.1.0".
std::string describe(const Fingerprint& fp);

// 64-bit FNV-1a: tiny, stable across platforms and builds, which std::hash is not.
uint64_t fnv1a64(const std::string& text);

void to_json(nlohmann::json& j, const Fingerprint& fp);
void from_json(const nlohmann::json& j, Fingerprint& fp);  // throws nlohmann::json::exception

}  // namespace llama::profile
