#include "report/out_dir.h"

#include <filesystem>
#include <fstream>

#include "base/error.h"

namespace llama::report {

void prepare_out_dir(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec || !fs::is_directory(path))
    throw Error(ExitCode::output, path + ": cannot create the output folder (" +
                                      (ec ? ec.message() : "a file is in the way") +
                                      "); pass --out with a writable folder");
  fs::path probe = fs::path(path) / ".llama-write-test";
  {
    std::ofstream out(probe);
    if (!out)
      throw Error(ExitCode::output,
                  path + ": output folder is not writable; pass --out with a writable folder");
  }
  fs::remove(probe, ec);
}

}  // namespace llama::report
