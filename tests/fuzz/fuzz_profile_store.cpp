// libFuzzer target: a profile store file (profiles/<machine>.json) as `llama run` and
// `llama profile` open it, and the save that follows. The bytes become this machine's store
// and another machine's in a scratch folder. Opening must give a store or
// llama::Error(bad_store); a store that opens must survive save() and open again with the
// same contents. Anything else is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "fuzz_util.h"
#include "profile/store.h"

namespace {

namespace fs = std::filesystem;
using llama::fuzz::finding;
using llama::fuzz::scratch_dir;
using llama::fuzz::write_file;
using llama::profile::Fingerprint;
using llama::profile::ProfileStore;

// The seed corpus's stores carry this fingerprint, so their entries are loaded, not ignored.
const Fingerprint kMachine{"Fuzz CPU @ 1.00GHz", 2, "", 0, "1.13.1"};

std::string code_name(const llama::Error& e) {
  return std::to_string(static_cast<int>(e.code())) + ": " + e.what();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path& dir = scratch_dir("llama-fuzz-store");
  std::error_code ec;
  fs::remove_all(dir, ec);  // backups of the last input's corrupt file, its lock, its save
  fs::create_directories(dir);
  const fs::path ours = dir / (llama::profile::key(kMachine) + ".json");
  write_file(ours, data, size);
  write_file(dir / "other-machine.json", data, size);  // the notes on other machines read it

  std::vector<llama::profile::Entry> before;
  try {
    std::vector<std::string> notes;
    ProfileStore store = ProfileStore::open(dir.string(), kMachine, &notes);
    before = store.entries();
    for (const auto& e : before) {
      (void)llama::profile::to_string(e.key);
      if (!store.find(e.key)) finding("an entry the store lists is not found by its key");
    }
    for (const auto& [key, fanout] : store.fanouts()) (void)store.find_fanout(key);
    for (const auto& [key, rate] : store.branches()) (void)store.find_branch(key);
    store.save();  // re-reads the file under the lock and writes it back
  } catch (const llama::Error& e) {
    if (e.code() != llama::ExitCode::bad_store)
      finding("open or save threw exit code " + code_name(e) + ", not bad_store");
    return 0;
  }

  // What save() wrote must open again, with the same entries: otherwise the next run of
  // llama would call the user's store corrupt, or plan with other numbers.
  try {
    ProfileStore again = ProfileStore::open(dir.string(), kMachine, nullptr);
    std::vector<llama::profile::Entry> after = again.entries();
    if (after.size() != before.size()) finding("save() changed the number of entries");
    for (size_t i = 0; i < after.size(); ++i)
      if (!(after[i].key == before[i].key) || !(after[i].stats == before[i].stats) ||
          after[i].measured_at != before[i].measured_at)
        finding("save() changed entry " + llama::profile::to_string(before[i].key));
  } catch (const llama::Error& e) {
    finding("a store that opened and saved cannot be opened again: " + code_name(e));
  }
  return 0;
}
