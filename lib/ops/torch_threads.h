// Ops that run torch set its intra-op thread count from their `threads` knob right before
// each invocation, for the calling worker thread only (the planner owns the sum). Also the few
// facts about torch that layers without torch need (the profiler's knob space and hardware
// fingerprint): asked here, so no header outside ops and models includes torch.
#pragma once

#include <string>

namespace llama::ops {

void use_torch_threads(int threads);  // 0 leaves torch's setting alone

// The most threads use_torch_threads gives a call, process-wide: the cores the run was given
// (--workers, a Slurm task's cpus). More OpenMP threads than cores spin against each other:
// two 1-core runs side by side on 2 cores, each detector at 2 threads, ran 4.7x slower.
void cap_torch_threads(int cores);  // 0: no cap

// True when this libtorch was built with CUDA and sees a CUDA device; false on the CPU-only
// Debian libtorch, so `device: cuda` is dropped from the knob space there.
bool cuda_available();

// The libtorch version llama was built against ("1.13.0"), for the profile fingerprint:
// another torch may run the same model at another speed.
std::string torch_version();

}  // namespace llama::ops
