#include "profile/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "profile/json_int.h"

namespace llama::profile {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* const kWritableFix = "; pass a writable --store";

std::string utc_time(const char* format) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, format, &tm);
  return text;
}

// <path>.<tag>-<UTC time>; "-2", "-3", ... when two backups fall in the same second, so an
// older backup is never overwritten.
std::string backup_path(const std::string& path, const std::string& tag) {
  std::string base = path + "." + tag + "-" + utc_time("%Y%m%dT%H%M%SZ");
  std::string candidate = base;
  std::error_code ec;
  for (int i = 2; fs::exists(candidate, ec); ++i) candidate = base + "-" + std::to_string(i);
  return candidate;
}

// nlohmann's messages start with "[json.exception.parse_error.101] "; users need the rest.
std::string json_reason(const std::exception& e) {
  std::string what = e.what();
  size_t end = what.rfind("] ");
  return what.rfind("[json.exception", 0) == 0 && end != std::string::npos ? what.substr(end + 2)
                                                                           : what;
}

// Everything a store file holds, as read or as about to be written.
struct Contents {
  Fingerprint fp;
  std::map<EntryKey, Entry> entries;
  std::map<OpKey, FanoutRecord> fanouts;
  std::map<OpKey, BranchRate> branches;
};

json to_json_doc(const Contents& c) {
  json entries = json::array();
  for (const auto& [key, e] : c.entries)
    entries.push_back({{"op_kind", key.op_kind},
                       {"impl_version", key.impl_version},
                       {"model_id", key.model_id},
                       {"input", key.input},
                       {"config", key.config},
                       {"batch", key.batch},
                       {"stats", e.stats},
                       {"measured_at", e.measured_at}});
  json fanouts = json::array();
  for (const auto& [key, f] : c.fanouts)
    fanouts.push_back(
        {{"pipeline", key.pipeline}, {"op", key.op}, {"mean", f.mean}, {"p95", f.p95}, {"n", f.n}});
  json branches = json::array();
  for (const auto& [key, b] : c.branches)
    branches.push_back(
        {{"pipeline", key.pipeline}, {"op", key.op}, {"taken", b.taken}, {"seen", b.seen}});
  return {{"schema", ProfileStore::kSchema},
          {"fingerprint", c.fp},
          {"entries", entries},
          {"fanout", fanouts},
          {"branches", branches}};
}

OpKey op_key_from_json(const json& j) {
  return {j.at("pipeline").get<std::string>(), j.at("op").get<std::string>()};
}

// Throws json::exception when a field is missing or of the wrong type.
Contents contents_from_json(const json& j) {
  Contents c;
  j.at("fingerprint").get_to(c.fp);
  for (const json& item : j.at("entries")) {
    Entry e;
    item.at("op_kind").get_to(e.key.op_kind);
    e.key.impl_version = json_int<int>(item.at("impl_version"));
    item.at("model_id").get_to(e.key.model_id);
    item.at("input").get_to(e.key.input);
    item.at("config").get_to(e.key.config);
    e.key.batch = json_int<int>(item.at("batch"));
    item.at("stats").get_to(e.stats);
    item.at("measured_at").get_to(e.measured_at);
    c.entries[e.key] = e;
  }
  for (const json& item : j.at("fanout"))
    c.fanouts[op_key_from_json(item)] = {item.at("mean").get<double>(),
                                         item.at("p95").get<double>(),
                                         json_int<int64_t>(item.at("n"))};
  for (const json& item : j.at("branches"))
    c.branches[op_key_from_json(item)] = {json_int<int64_t>(item.at("taken")),
                                          json_int<int64_t>(item.at("seen"))};
  return c;
}

// Keeps a copy of the bad file first: it may hold hours of measurements a person can rescue.
Error corrupt(const std::string& path, const std::string& reason) {
  std::string backup = backup_path(path, "corrupt");
  std::error_code ec;
  fs::copy_file(path, backup, ec);
  std::string kept =
      ec ? "no copy could be kept (" + ec.message() + ")" : "a copy is kept at " + backup;
  return Error(ExitCode::bad_store, path + ": the profile store is corrupt or truncated (" +
                                        reason + "); " + kept +
                                        ". Run `llama profile --reset` to start a new store");
}

// The store at `path`, or nullopt when there is no file. Reading needs no lock: writers
// only ever rename a complete file into place.
std::optional<Contents> load(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in)
    throw Error(ExitCode::bad_store,
                path +
                    ": cannot read the profile store; check its permissions or pass another "
                    "--store");
  json doc;
  try {
    doc = json::parse(text.str());
  } catch (const json::exception& e) {
    throw corrupt(path, json_reason(e));
  }
  if (!doc.is_object() || !doc.contains("schema") || !doc["schema"].is_number_integer())
    throw corrupt(path, "no integer \"schema\" field");
  int64_t schema = doc["schema"].get<int64_t>();
  // Checked before anything else is read: a newer layout is not corrupt, only unknown.
  if (schema > ProfileStore::kSchema)
    throw Error(ExitCode::bad_store, path + ": the profile store has schema " +
                                         std::to_string(schema) +
                                         ", from a newer llama; this llama reads schema " +
                                         std::to_string(ProfileStore::kSchema) +
                                         ". Upgrade llama, or pass another --store");
  if (schema < 1) throw corrupt(path, "schema " + std::to_string(schema) + " does not exist");
  try {
    return contents_from_json(doc);
  } catch (const json::exception& e) {
    throw corrupt(path, json_reason(e));
  }
}

// An exclusive flock held for the object's life. flock rather than fcntl locks: fcntl locks
// belong to the process and vanish when any descriptor of the file is closed; flock locks
// belong to the open file and are released by the kernel if we crash.
class FileLock {
 public:
  explicit FileLock(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw Error(ExitCode::output, path + ": cannot create the profile store's lock file (" +
                                        std::strerror(errno) + ")" + kWritableFix);
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd_);
      throw Error(ExitCode::output, path + ": cannot lock the profile store (" +
                                        std::strerror(err) + ")" + kWritableFix);
    }
  }
  ~FileLock() { ::close(fd_); }  // closing releases the lock
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

// Temp file in the same directory (rename is only atomic within one file system), named by
// pid so two writers never share one, then rename over the store.
void write_atomic(const std::string& path, const std::string& text) {
  std::string temp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw Error(ExitCode::output, temp + ": cannot write the profile store (" +
                                      std::strerror(errno) + ")" + kWritableFix);
  int err = 0;
  for (size_t done = 0; done < text.size() && !err;) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n >= 0)
      done += static_cast<size_t>(n);
    else if (errno != EINTR)
      err = errno;
  }
  // Rename alone survives a crash of llama, not of the machine: without fsync the rename can
  // reach the disk before the data, leaving an empty store after a power cut.
  if (!err && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && !err) err = errno;
  if (!err && ::rename(temp.c_str(), path.c_str()) != 0) err = errno;
  if (err) {
    ::unlink(temp.c_str());
    throw Error(ExitCode::output, path + ": cannot write the profile store (" + std::strerror(err) +
                                      "); free disk space or pass a writable --store");
  }
}

std::string store_path(const std::string& dir, const Fingerprint& fp) {
  return (fs::path(dir) / (key(fp) + ".json")).string();
}

}  // namespace

bool EntryKey::operator<(const EntryKey& o) const {
  return std::tie(op_kind, impl_version, model_id, input, config, batch) <
         std::tie(o.op_kind, o.impl_version, o.model_id, o.input, o.config, o.batch);
}

bool EntryKey::operator==(const EntryKey& o) const {
  return std::tie(op_kind, impl_version, model_id, input, config, batch) ==
         std::tie(o.op_kind, o.impl_version, o.model_id, o.input, o.config, o.batch);
}

bool OpKey::operator<(const OpKey& o) const {
  return std::tie(pipeline, op) < std::tie(o.pipeline, o.op);
}

bool OpKey::operator==(const OpKey& o) const {
  return pipeline == o.pipeline && op == o.op;
}

std::string to_string(const EntryKey& key) {
  std::string out = key.op_kind + " v" + std::to_string(key.impl_version);
  if (!key.model_id.empty()) out += " model=" + key.model_id;
  if (!key.input.empty()) out += " input=" + key.input;
  out += " batch=" + std::to_string(key.batch) + " {";
  const char* sep = "";
  for (const auto& [knob, value] : key.config) {
    out += sep + knob + "=" + value;
    sep = ", ";
  }
  return out + "}";
}

ProfileStore ProfileStore::open(const std::string& dir, const Fingerprint& fp,
                                std::vector<std::string>* notes) {
  ProfileStore store;
  store.dir_ = dir.empty() ? "." : dir;
  store.fp_ = fp;
  store.path_ = store_path(store.dir_, fp);
  std::vector<std::string> found;
  if (std::optional<Contents> c = load(store.path_)) {
    if (c->fp == fp) {
      store.entries_ = std::move(c->entries);
      store.fanouts_ = std::move(c->fanouts);
      store.branches_ = std::move(c->branches);
    } else {
      // Only a copied or renamed file gets here: the key hashes every fingerprint field.
      found.push_back("ignoring " + store.path_ + ": measured on " + describe(c->fp) +
                      ", not on this machine (" + describe(fp) + ")");
    }
  }
  if (!notes) return store;
  std::string ours = key(fp) + ".json";
  std::error_code ec;
  for (fs::directory_iterator it(store.dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& file = it->path();
    if (file.extension() != ".json" || file.filename() == ours) continue;
    // Other JSON may live here too (the price sheet); only files that parse as a store with a
    // fingerprint are another machine's, and their contents are that machine's business.
    try {
      std::ifstream in(file, std::ios::binary);
      json doc = json::parse(in);
      if (!doc.is_object() || !doc.contains("schema")) continue;
      Fingerprint other = doc.at("fingerprint").get<Fingerprint>();
      found.push_back("ignoring " + file.string() + ": measured on " + describe(other) +
                      ", not on this machine (" + describe(fp) + ")");
    } catch (const json::exception&) {
    }
  }
  std::sort(found.begin(), found.end());  // directory order is arbitrary; notes should not be
  notes->insert(notes->end(), found.begin(), found.end());
  return store;
}

std::optional<std::string> ProfileStore::reset(const std::string& dir, const Fingerprint& fp) {
  std::string path = store_path(dir.empty() ? "." : dir, fp);
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  FileLock lock(path + ".lock");  // a save running now finishes before we move its file
  if (!fs::exists(path, ec)) return std::nullopt;
  std::string backup = backup_path(path, "bak");
  fs::rename(path, backup, ec);
  if (ec)
    throw Error(ExitCode::output, path + ": cannot move the profile store aside to " + backup +
                                      " (" + ec.message() + ")" + kWritableFix);
  return backup;
}

const LatencyStats* ProfileStore::find(const EntryKey& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second.stats;
}

void ProfileStore::put(const EntryKey& key, const LatencyStats& stats) {
  entries_[key] = Entry{key, stats, utc_time("%Y-%m-%dT%H:%M:%SZ")};
  dirty_entries_.insert(key);
}

std::vector<Entry> ProfileStore::entries() const {
  std::vector<Entry> out;
  out.reserve(entries_.size());
  for (const auto& [key, e] : entries_) out.push_back(e);
  return out;
}

const FanoutRecord* ProfileStore::find_fanout(const OpKey& key) const {
  auto it = fanouts_.find(key);
  return it == fanouts_.end() ? nullptr : &it->second;
}

void ProfileStore::put_fanout(const OpKey& key, const FanoutRecord& fanout) {
  fanouts_[key] = fanout;
  dirty_fanouts_.insert(key);
}

const BranchRate* ProfileStore::find_branch(const OpKey& key) const {
  auto it = branches_.find(key);
  return it == branches_.end() ? nullptr : &it->second;
}

void ProfileStore::put_branch(const OpKey& key, const BranchRate& rate) {
  branches_[key] = rate;
  dirty_branches_.insert(key);
}

void ProfileStore::save() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec)
    throw Error(ExitCode::output, dir_ + ": cannot create the profile store directory (" +
                                      ec.message() + ")" + kWritableFix);
  FileLock lock(path_ + ".lock");
  // Re-read under the lock: another process may have saved since we opened.
  Contents merged;
  merged.fp = fp_;
  if (std::optional<Contents> disk = load(path_)) {
    if (disk->fp == fp_) {
      merged = std::move(*disk);
    } else {
      // Not ours (see open()); we are about to replace it, so keep it for its owner.
      std::string backup = backup_path(path_, "foreign");
      fs::copy_file(path_, backup, ec);
      if (ec)
        throw Error(ExitCode::output, path_ +
                                          ": holds another machine's profiles and cannot be "
                                          "kept aside at " +
                                          backup + " (" + ec.message() + ")" + kWritableFix);
    }
  }
  for (const EntryKey& k : dirty_entries_) merged.entries[k] = entries_.at(k);
  for (const OpKey& k : dirty_fanouts_) merged.fanouts[k] = fanouts_.at(k);
  for (const OpKey& k : dirty_branches_) merged.branches[k] = branches_.at(k);
  write_atomic(path_, to_json_doc(merged).dump(2) + "\n");
  // The file now holds our puts; from here on another process's newer save of the same key
  // wins, as it should.
  entries_ = std::move(merged.entries);
  fanouts_ = std::move(merged.fanouts);
  branches_ = std::move(merged.branches);
  dirty_entries_.clear();
  dirty_fanouts_.clear();
  dirty_branches_.clear();
}

}  // namespace llama::profile
