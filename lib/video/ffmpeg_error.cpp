#include "video/ffmpeg_error.h"

#include <cerrno>

#include "base/error.h"

extern "C" {
#include <libavutil/error.h>
}

namespace llama::video {

std::string av_error_text(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof(buf));
  return buf;
}

void cannot_write(const std::string& path, int err) {
  const bool full = err == AVERROR(ENOSPC) || err == AVERROR(EFBIG) || err == AVERROR(EDQUOT);
  throw Error(ExitCode::output, path + ": cannot write (" + av_error_text(err) + "); " +
                                    (full ? "free some space, or pass --out on another disk"
                                          : "check that the folder exists and is writable"));
}

}  // namespace llama::video
