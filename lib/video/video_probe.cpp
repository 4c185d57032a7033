#include "video/video_probe.h"

#include "base/error.h"

namespace llama::video {

std::vector<VideoInfo> probe_inputs(const std::vector<std::string>& videos) {
  if (videos.empty())
    throw Error(ExitCode::bad_input,
                "no input video: the pipeline has no 'input' and no --input was given "
                "(add input: <video> to the pipeline, or pass --input VIDEO)");
  std::vector<VideoInfo> infos;
  infos.reserve(videos.size());
  for (const std::string& path : videos) infos.push_back(VideoReader(path, {}).info());
  return infos;
}

}  // namespace llama::video
