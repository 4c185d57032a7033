// The job's inputs, opened once before any work: a bad file fails in a second with its own
// error, not an hour into the job, and the planner learns how much video there is.
#pragma once

#include <string>
#include <vector>

#include "video/video_reader.h"

namespace llama::video {

// Each video's stream info, from its container (nothing is decoded). Throws
// Error(bad_input) for an empty list (naming --input) and for a file that is not a video.
std::vector<VideoInfo> probe_inputs(const std::vector<std::string>& videos);

}  // namespace llama::video
