// Turns --input arguments (files or folders) into the job's list of videos.
#pragma once

#include <string>
#include <vector>

namespace llama::video {

// Files are kept as given; a folder contributes its video files (by extension), sorted by
// name so that runs are repeatable. Throws Error(bad_input) for a missing path or a folder
// without videos.
std::vector<std::string> expand_video_inputs(const std::vector<std::string>& arguments);

}  // namespace llama::video
