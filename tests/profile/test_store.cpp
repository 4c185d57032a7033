#include <doctest/doctest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "profile/store.h"

namespace fs = std::filesystem;
using llama::ExitCode;
using llama::profile::BranchRate;
using llama::profile::EntryKey;
using llama::profile::FanoutRecord;
using llama::profile::Fingerprint;
using llama::profile::LatencyStats;
using llama::profile::OpKey;
using llama::profile::ProfileStore;

namespace {

// A fresh directory per test, named by pid so parallel test runs never share one.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() /
             ("llama-test-profile-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string str() const { return path.string(); }
};

Fingerprint machine_a() {
  return {"Test CPU A @ 3.00GHz", 8, "", 0, "2.1.0"};
}
Fingerprint machine_b() {
  return {"Other CPU B", 64, "NVIDIA H100", 81559, "2.3.0"};
}

EntryKey detect_key(int batch, const std::string& threads = "4") {
  return {"detect", 1, "ab12cd", "768x576", {{"device", "cpu"}, {"threads", threads}}, batch};
}

LatencyStats stats(double mean) {
  return {10, mean, mean * 0.98, mean * 1.2, mean * 0.05, mean * 0.9, mean * 1.3};
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

std::optional<llama::Error> error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const llama::Error& e) {
    return e;
  }
  return std::nullopt;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& f : fs::directory_iterator(dir)) names.push_back(f.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Runs `body` in a child process that never returns into doctest; exit 0 means it succeeded.
pid_t spawn(const std::function<void()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int code = 0;
    try {
      body();
    } catch (...) {
      code = 3;
    }
    ::_exit(code);
  }
  return pid;
}

int exit_status(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("put, save, reopen and find give the same numbers; a missing dir is created") {
  TempDir tmp("roundtrip");
  std::string dir = (tmp.path / "nested" / "profiles").string();
  {
    ProfileStore store = ProfileStore::open(dir, machine_a(), nullptr);
    CHECK(store.entries().empty());
    CHECK_FALSE(fs::exists(dir));  // open creates nothing
    store.put(detect_key(1), stats(12.5));
    store.put(detect_key(8), stats(40.25));
    store.put({"blur", 2, "", "1280x720", {}, 1}, stats(3.0000000000000004));
    store.put_fanout({"faces", "detect"}, {2.75, 6, 300});
    store.put_branch({"faces", "blur"}, {42, 300});
    store.save();
  }
  CHECK(fs::exists(fs::path(dir) / (llama::profile::key(machine_a()) + ".json")));
  std::vector<std::string> notes;
  ProfileStore again = ProfileStore::open(dir, machine_a(), &notes);
  CHECK(notes.empty());
  REQUIRE(again.find(detect_key(1)) != nullptr);
  CHECK(*again.find(detect_key(1)) == stats(12.5));
  REQUIRE(again.find(detect_key(8)) != nullptr);
  CHECK(*again.find(detect_key(8)) == stats(40.25));
  REQUIRE(again.find({"blur", 2, "", "1280x720", {}, 1}) != nullptr);
  CHECK(again.find({"blur", 2, "", "1280x720", {}, 1})->mean_ms == 3.0000000000000004);
  // Any field that differs is another measurement.
  CHECK(again.find(detect_key(2)) == nullptr);
  CHECK(again.find(detect_key(1, "8")) == nullptr);
  CHECK(again.find({"blur", 1, "", "1280x720", {}, 1}) == nullptr);
  CHECK(again.find({"blur", 2, "", "640x480", {}, 1}) == nullptr);
  REQUIRE(again.find_fanout({"faces", "detect"}) != nullptr);
  CHECK(again.find_fanout({"faces", "detect"})->mean == 2.75);
  CHECK(again.find_fanout({"faces", "detect"})->p95 == 6);
  CHECK(again.find_fanout({"faces", "detect"})->n == 300);
  CHECK(again.find_fanout({"other", "detect"}) == nullptr);
  REQUIRE(again.find_branch({"faces", "blur"}) != nullptr);
  CHECK(again.find_branch({"faces", "blur"})->taken == 42);
  CHECK(again.find_branch({"faces", "blur"})->seen == 300);

  std::vector<llama::profile::Entry> entries = again.entries();
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].key.op_kind == "blur");         // key order
  const std::string& at = entries[1].measured_at;  // "2024-05-01T12:00:00Z"
  REQUIRE(at.size() == 20);
  CHECK(at[4] == '-');
  CHECK(at[10] == 'T');
  CHECK(at[19] == 'Z');
  CHECK(llama::profile::to_string(entries[1].key) ==
        "detect v1 model=ab12cd input=768x576 batch=1 {device=cpu, threads=4}");

  nlohmann::json doc = nlohmann::json::parse(read_text(again.path()));
  CHECK(doc["schema"] == 1);
  CHECK(doc["fingerprint"]["cpu_model"] == "Test CPU A @ 3.00GHz");
  CHECK(doc["entries"].size() == 3);
}

TEST_CASE("saves are atomic: no temp file is left, and a crash mid-save leaves the old store") {
  TempDir tmp("atomic");
  ProfileStore store = ProfileStore::open(tmp.str(), machine_a(), nullptr);
  store.put(detect_key(1), stats(10));
  store.save();
  std::string file = llama::profile::key(machine_a()) + ".json";
  CHECK(files_in(tmp.path) == std::vector<std::string>{file, file + ".lock"});

  // A writer killed mid-write leaves only its temp file behind; readers never look at it.
  write_text(tmp.path / (file + ".tmp.99999"), "{\"schema\": 1, \"fingerprint\": {\"cpu");
  ProfileStore reread = ProfileStore::open(tmp.str(), machine_a(), nullptr);
  REQUIRE(reread.find(detect_key(1)) != nullptr);
  CHECK(reread.find(detect_key(1))->mean_ms == 10);
  fs::remove(tmp.path / (file + ".tmp.99999"));

  // The real thing, deterministically: a file-size limit makes the kernel kill the writer
  // (SIGXFSZ) in the middle of writing a store too large for it. The old store must survive.
  const std::string temp = (tmp.path / file).string() + ".tmp.";
  auto write_big_store = [&] {
    struct rlimit no_core = {0, 0}, small = {16 * 1024, 16 * 1024};
    ::setrlimit(RLIMIT_CORE, &no_core);
    ::setrlimit(RLIMIT_FSIZE, &small);
    ProfileStore s = ProfileStore::open(tmp.str(), machine_a(), nullptr);
    for (int i = 0; i < 2000; ++i) s.put(detect_key(i + 1), stats(i));
    s.save();
  };
  pid_t crashed = spawn([&] {
    ::signal(SIGXFSZ, SIG_DFL);
    write_big_store();
  });
  CHECK(exit_status(crashed) == 128 + SIGXFSZ);
  ProfileStore survived = ProfileStore::open(tmp.str(), machine_a(), nullptr);
  CHECK(survived.entries().size() == 1);
  CHECK(survived.find(detect_key(1))->mean_ms == 10);
  fs::path half = temp + std::to_string(crashed);
  REQUIRE(fs::exists(half));  // it did die mid-write
  CHECK(fs::file_size(half) == 16 * 1024);
  fs::remove(half);

  // The same with the signal ignored: write() fails (as on a full disk), save() says so and
  // cleans up its temp file, and the old store is still there.
  pid_t refused = spawn([&] {
    ::signal(SIGXFSZ, SIG_IGN);
    try {
      write_big_store();
    } catch (const llama::Error& e) {
      ::_exit(e.code() == ExitCode::output && contains(e.what(), "cannot write") ? 0 : 5);
    }
    ::_exit(6);
  });
  CHECK(exit_status(refused) == 0);
  CHECK(files_in(tmp.path) == std::vector<std::string>{file, file + ".lock"});
  CHECK(ProfileStore::open(tmp.str(), machine_a(), nullptr).entries().size() == 1);
}

TEST_CASE("two processes saving at once keep each other's entries") {
  TempDir tmp("locked");
  const int kPerProcess = 40;
  int go[2];
  REQUIRE(::pipe(go) == 0);
  auto writer = [&](const std::string& op) {
    return [&, op] {
      ::close(go[1]);
      char byte;
      if (::read(go[0], &byte, 1) != 0) ::_exit(4);  // wait until both are forked
      ProfileStore s = ProfileStore::open(tmp.str(), machine_a(), nullptr);
      for (int i = 0; i < kPerProcess; ++i) {
        s.put({op, 1, "", "768x576", {{"device", "cpu"}}, i + 1}, stats(i + 1));
        s.save();
      }
    };
  };
  pid_t first = spawn(writer("detect"));
  pid_t second = spawn(writer("embed"));
  ::close(go[0]);
  ::close(go[1]);  // EOF on the pipe starts both
  CHECK(exit_status(first) == 0);
  CHECK(exit_status(second) == 0);

  ProfileStore store = ProfileStore::open(tmp.str(), machine_a(), nullptr);
  CHECK(store.entries().size() == static_cast<size_t>(2 * kPerProcess));
  for (const char* op : {"detect", "embed"})
    for (int i = 0; i < kPerProcess; ++i) {
      const LatencyStats* s = store.find({op, 1, "", "768x576", {{"device", "cpu"}}, i + 1});
      REQUIRE_MESSAGE(s != nullptr, op << " batch " << i + 1 << " was lost");
      CHECK(s->mean_ms == i + 1);
    }
}

TEST_CASE("save merges: our puts win for their keys, keys only on disk are kept") {
  TempDir tmp("merge");
  ProfileStore a = ProfileStore::open(tmp.str(), machine_a(), nullptr);
  ProfileStore b = ProfileStore::open(tmp.str(), machine_a(), nullptr);
  b.put(detect_key(1), stats(1));
  b.put(detect_key(2), stats(2));
  b.put_fanout({"p", "detect"}, {3, 5, 10});
  b.save();
  a.put(detect_key(1), stats(100));  // a's own measurement of the same key
  a.put_branch({"p", "blur"}, {1, 4});
  a.save();
  CHECK(a.find(detect_key(1))->mean_ms == 100);
  REQUIRE(a.find(detect_key(2)) != nullptr);  // b's entry, read back under the lock
  CHECK(a.find(detect_key(2))->mean_ms == 2);
  REQUIRE(a.find_fanout({"p", "detect"}) != nullptr);
  // b saves again without new puts: a's newer value of detect/1 stays.
  b.save();
  ProfileStore c = ProfileStore::open(tmp.str(), machine_a(), nullptr);
  CHECK(c.find(detect_key(1))->mean_ms == 100);
  CHECK(c.find(detect_key(2))->mean_ms == 2);
  REQUIRE(c.find_branch({"p", "blur"}) != nullptr);
  CHECK(c.find_branch({"p", "blur"})->seen == 4);
  CHECK(c.fanouts().size() == 1);
  CHECK(c.branches().size() == 1);
}

TEST_CASE("a corrupt or truncated store is kept aside and refused with the fix") {
  TempDir tmp("corrupt");
  fs::path file = tmp.path / (llama::profile::key(machine_a()) + ".json");
  const std::string bad_texts[] = {
      "{\"schema\": 1, \"fingerprint\": {\"cpu_model\": \"Test",  // truncated mid-write
      "",                                                         // empty
      "[1, 2, 3]",                                                // not a store
      "{\"schema\": 1, \"fingerprint\": {}, \"entries\": [], \"fanout\": [], \"branches\": []}",
      "{\"schema\": \"one\"}"};
  for (const std::string& text : bad_texts) {
    CAPTURE(text);
    write_text(file, text);
    std::optional<llama::Error> e =
        error_of([&] { ProfileStore::open(tmp.str(), machine_a(), nullptr); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::bad_store);
    std::string message = e->what();
    CHECK(contains(message, file.string()));
    CHECK(contains(message, "llama profile --reset"));
    size_t at = message.find(file.string() + ".corrupt-");
    REQUIRE(at != std::string::npos);
    std::string backup = message.substr(at, message.find(". Run", at) - at);
    CHECK(fs::exists(backup));
    CHECK(read_text(backup) == text);
    fs::remove(backup);
  }
  // Corrupted after open: save refuses too, and does not overwrite the evidence.
  fs::remove(file);
  ProfileStore store = ProfileStore::open(tmp.str(), machine_a(), nullptr);
  store.put(detect_key(1), stats(1));
  write_text(file, "{\"schema\": 1,");
  std::optional<llama::Error> e = error_of([&] { store.save(); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::bad_store);
  CHECK(read_text(file) == "{\"schema\": 1,");
}

TEST_CASE("a store from a newer llama is refused, naming both schemas") {
  TempDir tmp("newer");
  fs::path file = tmp.path / (llama::profile::key(machine_a()) + ".json");
  write_text(file, "{\"schema\": 2, \"fingerprint\": \"a new layout\", \"rows\": []}");
  std::optional<llama::Error> e =
      error_of([&] { ProfileStore::open(tmp.str(), machine_a(), nullptr); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::bad_store);
  std::string message = e->what();
  CHECK(contains(message, file.string()));
  CHECK(contains(message, "schema 2"));
  CHECK(contains(message, "schema 1"));
  CHECK(contains(message, "Upgrade llama"));
  CHECK(contains(message, "--store"));
  // Not corrupt, so no corrupt copy.
  CHECK(files_in(tmp.path) == std::vector<std::string>{file.filename().string()});
}

TEST_CASE("other machines' stores in the same dir are noted and never used") {
  TempDir tmp("machines");
  ProfileStore theirs = ProfileStore::open(tmp.str(), machine_b(), nullptr);
  theirs.put(detect_key(1), stats(1));
  theirs.save();
  write_text(tmp.path / "prices.json", "{\"core_second\": 0.0000166}");  // not a store
  write_text(tmp.path / "notes.txt", "hello");

  std::vector<std::string> notes;
  ProfileStore ours = ProfileStore::open(tmp.str(), machine_a(), &notes);
  CHECK(ours.find(detect_key(1)) == nullptr);
  REQUIRE(notes.size() == 1);
  CHECK(contains(notes[0], "ignoring " + theirs.path() + ": measured on Other CPU B, 64 cores"));
  CHECK(contains(notes[0], "NVIDIA H100"));

  // A file under our name but with another fingerprint (copied by hand) is not used either,
  // and saving over it keeps it aside.
  fs::copy_file(theirs.path(), ours.path());
  notes.clear();
  ProfileStore copied = ProfileStore::open(tmp.str(), machine_a(), &notes);
  CHECK(copied.find(detect_key(1)) == nullptr);
  REQUIRE(notes.size() == 2);
  CHECK(contains(notes[0] + notes[1], "ignoring " + ours.path() + ": measured on Other CPU B"));
  copied.put(detect_key(2), stats(2));
  copied.save();
  ProfileStore reread = ProfileStore::open(tmp.str(), machine_a(), nullptr);
  CHECK(reread.find(detect_key(1)) == nullptr);
  CHECK(reread.find(detect_key(2)) != nullptr);
  CHECK(reread.fingerprint() == machine_a());
  bool kept = false;
  for (const std::string& name : files_in(tmp.path)) kept |= contains(name, ".json.foreign-");
  CHECK(kept);
}

TEST_CASE("reset moves this machine's store aside and leaves others alone") {
  TempDir tmp("reset");
  CHECK_FALSE(ProfileStore::reset(tmp.str(), machine_a()));  // nothing to reset
  ProfileStore other = ProfileStore::open(tmp.str(), machine_b(), nullptr);
  other.put(detect_key(1), stats(5));
  other.save();
  ProfileStore store = ProfileStore::open(tmp.str(), machine_a(), nullptr);
  store.put(detect_key(1), stats(1));
  store.save();
  std::optional<std::string> backup = ProfileStore::reset(tmp.str(), machine_a());
  REQUIRE(backup);
  CHECK(contains(*backup, ".json.bak-"));
  CHECK(fs::exists(*backup));
  CHECK_FALSE(fs::exists(store.path()));
  CHECK(ProfileStore::open(tmp.str(), machine_a(), nullptr).entries().empty());
  CHECK(ProfileStore::open(tmp.str(), machine_b(), nullptr).find(detect_key(1)) != nullptr);
  CHECK_FALSE(ProfileStore::reset(tmp.str(), machine_a()));
}

TEST_CASE("an unwritable store dir is an output error naming it") {
  TempDir tmp("unwritable");
  write_text(tmp.path / "a-file", "x");
  std::string dir = (tmp.path / "a-file" / "profiles").string();  // unwritable even for root
  ProfileStore store = ProfileStore::open(dir, machine_a(), nullptr);
  store.put(detect_key(1), stats(1));
  std::optional<llama::Error> e = error_of([&] { store.save(); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::output);
  CHECK(contains(e->what(), dir));
  CHECK(contains(e->what(), "--store"));
}
