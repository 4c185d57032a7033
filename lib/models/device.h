// The device a model runs on, from the spelling a pipeline uses ("cpu", "cuda", "cuda:1").
#pragma once

#include <string>

#include <torch/types.h>

namespace llama::models {

// Throws Error naming `model`: runtime when CUDA is asked for but this libtorch sees no
// CUDA device (the spec is fine, the machine is not), bad_spec for an unknown spelling.
torch::Device parse_device(const std::string& device, const std::string& model);

// Models compute in full float32 on CUDA, as on the CPU. libtorch lets Ampere and newer GPUs
// use TF32 (a 10-bit mantissa) for convolutions by default, which on an H100 moved
// mobilefacenet's embedding 1% off tfjs's and made a batch differ from its single frames by
// 4e-4; a face match must not depend on the device. Process-wide; called when a model moves
// to a CUDA device.
void use_exact_float32_on_cuda();

}  // namespace llama::models
