#include "ops/torch_threads.h"

#include <ATen/Parallel.h>

namespace llama::ops {

void use_torch_threads(int threads) {
  if (threads > 0 && at::get_num_threads() != threads) at::set_num_threads(threads);
}

}  // namespace llama::ops
