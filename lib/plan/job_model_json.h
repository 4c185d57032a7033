// A job model as JSON, whole: what a recorded run planned and scheduled with, so a replay
// (runtime/replay.h) runs on exactly those numbers, whatever the profile store holds since.
#pragma once

#include <nlohmann/json.hpp>

#include "plan/job_model.h"

namespace llama::plan {

nlohmann::json to_json(const JobModel& model);
// Throws nlohmann::json's exceptions on a field missing or of the wrong type.
JobModel job_model_from_json(const nlohmann::json& json);

}  // namespace llama::plan
