// This machine as the profile store and the planner see it: its fingerprint (CPU, cores, GPU,
// torch) and the pool a local run gets (its cores, and one GPU stream when CUDA works).
#pragma once

#include "plan/job_model.h"
#include "profile/fingerprint.h"

namespace llama::app {

profile::Fingerprint this_machine(bool cuda);

plan::Pool local_pool(const profile::Fingerprint& fp);

}  // namespace llama::app
