// What the fuzz targets share: how a finding stops the run, and where inputs that must be
// files are written.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace llama::fuzz {

// Anything but the expected error: abort, so libFuzzer saves the input.
[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "finding: %s\n", what.c_str());
  std::abort();
}

// One folder per process (libFuzzer's -jobs run several), memory-backed where the machine
// has /dev/shm since every input is written there, and removed at exit.
inline const std::filesystem::path& scratch_dir(const std::string& prefix) {
  namespace fs = std::filesystem;
  struct Dir {
    fs::path path;
    explicit Dir(const std::string& prefix) {
      std::error_code ec;
      const fs::path base =
          fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
      path = base / (prefix + "-" + std::to_string(::getpid()));
      fs::create_directories(path);
    }
    ~Dir() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  };
  static const Dir dir(prefix);
  return dir.path;
}

inline void write_file(const std::filesystem::path& path, const void* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) finding("cannot write " + path.string());
}

}  // namespace llama::fuzz
