// Torch's intra-op thread count is process-wide; ops that run models set it from their
// `threads` knob right before each invocation (the executor runs one invocation per op at
// a time, and the planner owns the sum).
#pragma once

namespace llama::ops {

void use_torch_threads(int threads);  // 0 leaves torch's setting alone

}  // namespace llama::ops
