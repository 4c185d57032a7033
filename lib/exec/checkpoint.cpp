#include "exec/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "base/error.h"

namespace llama::exec {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void cannot_write(const std::string& path, int err) {
  throw Error(ExitCode::output, path + ": cannot write the checkpoint (" + std::strerror(err) +
                                    "); free some space, or pass --out on another disk");
}

// A rename is durable only once the folder holding it is flushed too.
void sync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) cannot_write(path, errno);
  int failed = ::fsync(fd) != 0 ? errno : 0;
  ::close(fd);
  if (failed) cannot_write(path, failed);
}

}  // namespace

std::string state_dir(const std::string& out_dir) {
  return (fs::path(out_dir) / ".llama").string();
}

std::string checkpoint_path(const std::string& out_dir) {
  return (fs::path(state_dir(out_dir)) / "checkpoint").string();
}

void write_checkpoint(const std::string& path, const nlohmann::json& checkpoint) {
  std::vector<uint8_t> bytes = nlohmann::json::to_cbor(checkpoint);
  std::string temp = path + ".tmp";
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  fs::remove(temp, ec);  // never write through a link left there
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      fs::remove(temp, ec);
      cannot_write(temp, ENOSPC);
    }
  }
  sync_path(temp, O_RDONLY);
  fs::rename(temp, path, ec);
  if (ec) cannot_write(path, ec.value());
  sync_path(fs::path(path).parent_path().string(), O_RDONLY | O_DIRECTORY);
}

nlohmann::json read_checkpoint(const std::string& path) {
  const std::string fix = "; pass --force to start the job over";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ExitCode::output, path + ": cannot read the checkpoint" + fix);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  nlohmann::json checkpoint = nlohmann::json::from_cbor(bytes, true, false);
  if (checkpoint.is_discarded() || !checkpoint.is_object())
    throw Error(ExitCode::output, path + ": the checkpoint is damaged" + fix);
  if (checkpoint.value("version", 0) != kCheckpointVersion)
    throw Error(ExitCode::output,
                path + ": the checkpoint is from another version of llama (version " +
                    checkpoint.value("version", nlohmann::json(0)).dump() + ", this one reads " +
                    std::to_string(kCheckpointVersion) + ")" + fix);
  // What `llama run` reads before the ops do (to say where the job stopped, and whose it
  // is); the ops' own entries are checked as they are read (Run::resume).
  const nlohmann::json& job = checkpoint.value("job", nlohmann::json());
  bool header_ok = job.is_object() && job.value("pipeline", nlohmann::json()).is_string() &&
                   job.value("videos", nlohmann::json()).is_array();
  if (header_ok)
    for (const auto& video : job["videos"]) header_ok = header_ok && video.is_object();
  for (const char* field : {"frames", "video", "frame", "wall_s"})
    header_ok = header_ok && checkpoint.value(field, nlohmann::json()).is_number();
  if (!header_ok) throw Error(ExitCode::output, path + ": the checkpoint is damaged" + fix);
  return checkpoint;
}

nlohmann::json to_json(const OpStats& s) {
  return {{"name", s.name},
          {"kind", s.kind},
          {"config", s.config},
          {"configs", s.configs},
          {"invocations", s.invocations},
          {"items_in", s.items_in},
          {"items_out", s.items_out},
          {"busy_s", s.busy_s},
          {"core_s", s.core_s},
          {"gpu_s", s.gpu_s},
          {"max_queue", s.max_queue},
          {"retries", s.retries},
          {"duplicates", s.duplicates},
          {"set_aside", s.set_aside}};
}

OpStats op_stats_from_json(const nlohmann::json& j) {
  OpStats s;
  s.name = j.at("name");
  s.kind = j.at("kind");
  s.config = j.at("config").get<std::map<std::string, std::string>>();
  s.configs = j.at("configs").get<std::map<std::string, int64_t>>();
  s.invocations = j.at("invocations");
  s.items_in = j.at("items_in");
  s.items_out = j.at("items_out");
  s.busy_s = j.at("busy_s");
  s.core_s = j.at("core_s");
  s.gpu_s = j.at("gpu_s");
  s.max_queue = j.at("max_queue");
  s.retries = j.at("retries");
  s.duplicates = j.at("duplicates");
  s.set_aside = j.at("set_aside").get<std::map<std::string, std::string>>();
  return s;
}

}  // namespace llama::exec
