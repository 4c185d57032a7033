#include "ops/torch_threads.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

namespace llama::ops {

void use_torch_threads(int threads) {
  if (threads > 0 && at::get_num_threads() != threads) at::set_num_threads(threads);
}

bool cuda_available() {
  return torch::cuda::is_available();
}

std::string torch_version() {
  return TORCH_VERSION;
}

}  // namespace llama::ops
