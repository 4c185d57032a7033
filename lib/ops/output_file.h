// Where an output op writes: `file` param or "<op name>.<ext>" in the job's out folder,
// with the video's name added when the job has several videos. The spec keeps `file` inside
// the folder; a symbolic link already there could still point out of it, so none is written
// through.
#pragma once

#include <filesystem>
#include <string>

#include "base/error.h"
#include "ops/op.h"

namespace llama::ops {

inline std::string output_path(const OpContext& ctx, const std::string& extension, int video) {
  namespace fs = std::filesystem;
  fs::path name = ctx.param_string("file", ctx.spec->name + extension);
  if (ctx.videos.size() > 1 && video >= 0)
    name.replace_filename(name.stem().string() + "-" + fs::path(ctx.videos[video]).stem().string() +
                          name.extension().string());
  const fs::path path = fs::path(ctx.out_dir) / name;
  if (fs::is_symlink(path))
    throw Error(ExitCode::output,
                path.string() + ": is a symbolic link, and llama never writes through one (op '" +
                    ctx.spec->name + "'); remove it or pass another --out");
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);  // `file: crops/records.jsonl`
  return path.string();
}

}  // namespace llama::ops
