#include "profile/model_id.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "profile/fingerprint.h"

namespace llama::profile {

namespace fs = std::filesystem;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(ExitCode::bad_input, path +
                                         ": cannot read this model file to identify its "
                                         "profiles (run scripts/setup to fetch the models)");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

std::vector<std::string> model_files(const std::string& path) {
  std::vector<std::string> files{path};
  fs::path p(path);
  if (p.extension() != ".json") return files;
  bool listed = false;
  try {
    nlohmann::json j = nlohmann::json::parse(read_file(path));
    if (j.contains("weightsManifest") && j["weightsManifest"].is_array())
      for (const auto& group : j["weightsManifest"])
        if (group.contains("paths") && group["paths"].is_array())
          for (const auto& shard : group["paths"])
            if (shard.is_string()) {
              files.push_back((p.parent_path() / shard.get<std::string>()).string());
              listed = true;
            }
  } catch (const nlohmann::json::exception&) {
    // Not a TFJS model after all: its own bytes identify it.
  }
  if (!listed) {
    fs::path bin = p;
    bin.replace_extension(".bin");
    std::error_code ec;
    if (fs::exists(bin, ec)) files.push_back(bin.string());
  }
  return files;
}

std::string model_id(const std::vector<std::string>& files) {
  // One hash over all files, each preceded by its size, so moving bytes from one shard to
  // the next still changes the id.
  std::string all;
  for (const std::string& f : files) {
    std::string bytes = read_file(f);
    all += std::to_string(bytes.size()) + ':';
    all += bytes;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a64(all)));
  return hex;
}

}  // namespace llama::profile
