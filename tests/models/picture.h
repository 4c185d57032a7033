// Test images: one frame of a real file at its native size, decoded by the ffmpeg CLI (as
// the goldens are), so model tests do not depend on our own video reader.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "golden_case.h"
#include "models/image.h"

namespace llama::test {

struct Picture {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
  models::ImageView view() const { return {rgb.data(), width, height}; }
};

// `input` is relative to the source folder; `filters` run before the conversion to rgb24
// and end with a comma, e.g. "trim=start_frame=100,".
inline Picture decode_picture(const std::string& input, int width, int height,
                              const std::string& filters = "") {
  Picture p{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3)};
  std::string cmd = "cd " + shell_quote(source_dir().string()) +
                    " && ffmpeg -nostdin -v error -i " + shell_quote(input) + " -an -vf " +
                    shell_quote(filters + "format=rgb24") +
                    " -frames:v 1 -f rawvideo -pix_fmt rgb24 -";
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  size_t got = std::fread(p.rgb.data(), 1, p.rgb.size(), pipe);
  pclose(pipe);
  REQUIRE_MESSAGE(got == p.rgb.size(), input << ": ffmpeg gave " << got << " bytes");
  return p;
}

}  // namespace llama::test
