#include "video/video_files.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "base/error.h"

namespace llama::video {

namespace fs = std::filesystem;

std::vector<std::string> expand_video_inputs(const std::vector<std::string>& arguments) {
  static const std::set<std::string> kVideoExtensions = {".avi",  ".mp4", ".mkv", ".mov",
                                                         ".webm", ".m4v", ".mpg", ".mpeg",
                                                         ".ts",   ".flv", ".wmv", ".3gp"};
  std::vector<std::string> videos;
  for (const std::string& argument : arguments) {
    std::error_code ec;
    if (!fs::exists(argument, ec))
      throw Error(ExitCode::bad_input,
                  argument + ": no such file or folder (check the --input path)");
    if (!fs::is_directory(argument, ec)) {
      videos.push_back(argument);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(argument, ec)) {
      std::string ext = entry.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (entry.is_regular_file() && kVideoExtensions.count(ext))
        found.push_back(entry.path().string());
    }
    if (found.empty())
      throw Error(ExitCode::bad_input, argument +
                                           ": folder holds no video files (looked for .mp4, .avi, "
                                           ".mkv, .mov, .webm and similar)");
    std::sort(found.begin(), found.end());
    videos.insert(videos.end(), found.begin(), found.end());
  }
  return videos;
}

}  // namespace llama::video
