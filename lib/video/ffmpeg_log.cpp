#include "video/ffmpeg_log.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

extern "C" {
#include <libavutil/log.h>
}

namespace llama::video {

void quiet_ffmpeg_logs_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* wanted = std::getenv("LLAMA_FFMPEG_LOG");
    if (!wanted || std::strcmp(wanted, "1") != 0) av_log_set_level(AV_LOG_QUIET);
  });
}

}  // namespace llama::video
