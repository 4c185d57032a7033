// FFmpeg's error codes in llama's words, for the reader, the writer and the joiner.
#pragma once

#include <string>

namespace llama::video {

std::string av_error_text(int err);

// Throws Error(output) naming `path`; a full disk (ENOSPC, EFBIG, EDQUOT) gets the advice to
// free space, anything else to check the folder.
[[noreturn]] void cannot_write(const std::string& path, int err);

}  // namespace llama::video
