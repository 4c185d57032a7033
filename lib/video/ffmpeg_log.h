// FFmpeg logs to stderr by itself (decoder complaints on damaged files, libx264's stats
// line). llama reports those cases in its own words, so FFmpeg is kept quiet unless
// LLAMA_FFMPEG_LOG=1 asks for its messages when debugging.
#pragma once

namespace llama::video {

void quiet_ffmpeg_logs_once();

}  // namespace llama::video
