#include "cluster/json_file.h"

#include <filesystem>
#include <fstream>

#include "base/error.h"

namespace llama::cluster {

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ExitCode::bad_input, path + ": cannot read it");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ExitCode::bad_input, path + ": not valid JSON (" + e.what() + ")");
  }
}

void write_json_file(const std::string& path, const nlohmann::json& value) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << value.dump(2) << "\n";
    if (!out.flush())
      throw Error(ExitCode::output, tmp + ": cannot write (check the disk holding --out)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error(ExitCode::output, path + ": cannot write: " + ec.message());
}

}  // namespace llama::cluster
