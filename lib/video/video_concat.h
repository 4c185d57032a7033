// Joins the parts of one encode output (VideoWriter files split where a run took a
// checkpoint) into one video by copying packets, so resuming never re-encodes finished work.
#pragma once

#include <string>
#include <vector>

namespace llama::video {

// Joins video files written one after another by VideoWriter into one file, without
// re-encoding: packets are copied. Each part starts with a keyframe and keeps its frames' own
// (absolute) timestamps, so the parts' timestamps follow on; where a part's decode timestamps
// would step back (B-frame delay at a part's start), they are moved forward to stay strictly
// increasing. The container is guessed from out_path's extension (mp4 if none matches).
// Throws Error(output) naming the file when a part cannot be read or the output cannot be
// written, and Error(internal) for no parts or parts whose codec or size differ.
void concat_videos(const std::vector<std::string>& parts, const std::string& out_path);

}  // namespace llama::video
