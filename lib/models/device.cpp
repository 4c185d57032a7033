#include "models/device.h"

#include <torch/torch.h>

#include "base/error.h"

namespace llama::models {

torch::Device parse_device(const std::string& device, const std::string& model) {
  if (device == "cpu") return torch::kCPU;
  if (device.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw Error(ExitCode::runtime, model + ": device " + device +
                                         " asked for, but this libtorch sees no CUDA device "
                                         "(put cpu first in the op's device knob)");
    use_exact_float32_on_cuda();
    return torch::Device(device);
  }
  throw Error(ExitCode::bad_spec, model + ": unknown device '" + device + "' (use cpu or cuda)");
}

void use_exact_float32_on_cuda() {
  at::globalContext().setAllowTF32CuDNN(false);
  at::globalContext().setAllowTF32CuBLAS(false);
}

}  // namespace llama::models
