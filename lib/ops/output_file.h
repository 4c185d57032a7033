// Where an output op writes: `file` param or "<op name>.<ext>" in the job's out folder,
// with the video's name added when the job has several videos.
#pragma once

#include <filesystem>
#include <string>

#include "ops/op.h"

namespace llama::ops {

inline std::string output_path(const OpContext& ctx, const std::string& extension, int video) {
  namespace fs = std::filesystem;
  fs::path name = ctx.param_string("file", ctx.spec->name + extension);
  if (ctx.videos.size() > 1 && video >= 0)
    name = name.stem().string() + "-" + fs::path(ctx.videos[video]).stem().string() +
           name.extension().string();
  return (fs::path(ctx.out_dir) / name).string();
}

}  // namespace llama::ops
