#include "ops/torch_threads.h"

#include <ATen/Config.h>
#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <torch/cuda.h>
#include <torch/version.h>
#include <algorithm>
#include <atomic>

namespace llama::ops {

namespace {

// at::set_num_threads is process-wide, and it also throws away oneDNN's compiled kernels:
// invocations that alternate 1 and 2 threads on a worker (blur beside a 2-thread detector)
// recompiled them every time, and face_blur's detector ran at half speed. Under OpenMP the
// thread count is a setting of each calling thread, so it is set for this worker only,
// through the OpenMP runtime libtorch itself loaded (looked up, not linked: a CUDA
// PyTorch brings its own copy, and a second runtime would not be the one torch reads).
using SetThreads = void (*)(int);

SetThreads openmp_set_num_threads() {
#if AT_PARALLEL_OPENMP
  static SetThreads set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
  return set;
#else
  return nullptr;
#endif
}

std::atomic<int> thread_cap{0};

}  // namespace

void cap_torch_threads(int cores) {
  thread_cap = cores;
}

void use_torch_threads(int threads) {
  if (const int cap = thread_cap.load(); cap > 0) threads = std::min(threads, cap);
  // get_num_threads also runs torch's first-use setup of this thread, which would otherwise
  // overwrite the count at its first parallel region.
  if (threads <= 0 || at::get_num_threads() == threads) return;
  if (SetThreads set = openmp_set_num_threads()) set(threads);
  if (at::get_num_threads() != threads) at::set_num_threads(threads);
}

bool cuda_available() {
  return torch::cuda::is_available();
}

std::string torch_version() {
  return TORCH_VERSION;
}

}  // namespace llama::ops
