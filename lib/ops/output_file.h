// Where an output op writes: `file` param or "<op name>.<ext>" in the job's out folder,
// with the video's name added when the job has several videos. The spec keeps `file` inside
// the folder; a symbolic link already there could still point out of it, so none is written
// through.
#pragma once

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
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

// Where encode writes part `part` ("0", "1", ..., "joined") of its output `path` for `video`
// (see EncodeOp::checkpoint): in the job's state folder, which a finished run removes.
inline std::string part_path(const OpContext& ctx, const std::string& path, int video,
                             const std::string& part) {
  namespace fs = std::filesystem;
  fs::path folder = fs::path(ctx.out_dir) / ".llama" / "parts";
  fs::create_directories(folder);
  return (folder / (ctx.spec->name + "." + std::to_string(video) + "." + part +
                    fs::path(path).extension().string()))
      .string();
}

// Flushes a file's written bytes to the disk (a checkpoint must never count records that a
// power cut could take back). Opens the path again: the ofstream that wrote it keeps its fd.
inline void sync_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    int err = errno;
    if (fd >= 0) ::close(fd);
    throw Error(ExitCode::output, path + ": cannot flush to disk (" + std::strerror(err) +
                                      "); check the disk holding --out");
  }
  ::close(fd);
}

}  // namespace llama::ops
