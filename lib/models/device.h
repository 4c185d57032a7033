// The device a model runs on, from the spelling a pipeline uses ("cpu", "cuda", "cuda:1").
#pragma once

#include <string>

#include <torch/torch.h>

namespace llama::models {

// Throws Error naming `model`: runtime when CUDA is asked for but this libtorch sees no
// CUDA device (the spec is fine, the machine is not), bad_spec for an unknown spelling.
torch::Device parse_device(const std::string& device, const std::string& model);

}  // namespace llama::models
