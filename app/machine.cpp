#include "machine.h"

#include <cstdio>
#include <string>

#include "ops/torch_threads.h"

namespace llama::app {

namespace {

// The GPU's name and memory, from nvidia-smi: libtorch's C++ API does not say them without
// CUDA headers, and the fingerprint must tell an A100 from a T4. Empty when there is none.
void fill_gpu(profile::Fingerprint& fp) {
  FILE* pipe = popen(
      "nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits -i 0 2>/dev/null",
      "r");
  if (!pipe) return;
  char line[512] = {0};
  bool got = fgets(line, sizeof line, pipe) != nullptr;
  pclose(pipe);
  if (!got) return;
  std::string text(line);
  size_t comma = text.rfind(',');
  if (comma == std::string::npos) return;
  fp.gpu_name = text.substr(0, comma);
  try {
    fp.gpu_memory_mb = std::stoll(text.substr(comma + 1));
  } catch (const std::exception&) {
    fp.gpu_memory_mb = 0;
  }
}

}  // namespace

profile::Fingerprint this_machine(bool cuda) {
  profile::Fingerprint fp = profile::cpu_fingerprint();
  fp.torch_version = ops::torch_version();
  if (cuda) fill_gpu(fp);
  return fp;
}

plan::Pool local_pool(const profile::Fingerprint& fp) {
  plan::Pool pool;
  pool.cpus = fp.cores > 0 ? fp.cores : 1;
  pool.gpus = ops::cuda_available() ? 1 : 0;
  pool.gpu_name = fp.gpu_name;
  return pool;
}

}  // namespace llama::app
