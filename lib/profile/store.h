// The profile store: what `llama profile` measured on this machine, one JSON file per machine
// (<dir>/<key(fingerprint)>.json, "schema": 1). Saves are atomic (temp file + rename) and
// locked (flock on <file>.lock, re-read and merge under it), so two `llama profile` runs at
// once never lose each other's entries and a crash never leaves half a file.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "profile/fingerprint.h"
#include "profile/stats.h"

namespace llama::profile {

// What one measurement is of. Two keys are the same measurement only if every field agrees:
// a new op implementation (impl_version), other model weights (model_id) or another input
// shape all make old numbers stale rather than wrong-but-used.
struct EntryKey {
  std::string op_kind;                        // "detect", "blur", ...
  int impl_version = 1;                       // bumped when the op's code changes its cost
  std::string model_id;                       // hash of the model files; "" for model-less ops
  std::string input;                          // input shape, e.g. "768x576"
  std::map<std::string, std::string> config;  // knob -> value: device, threads, variants
  int batch = 1;

  bool operator<(const EntryKey& other) const;
  bool operator==(const EntryKey& other) const;
};

// "detect v1 model=ab12 input=768x576 batch=4 {device=cpu, threads=4}", for --show and notes.
std::string to_string(const EntryKey& key);

struct Entry {
  EntryKey key;
  LatencyStats stats;
  std::string measured_at;  // ISO-8601 UTC, "2024-05-01T12:00:00Z"
};

// An op in a pipeline: fan-out and branch rates belong to the op's place in one pipeline, not
// to its kind (a detector sees more faces in one pipeline's video than in another's).
struct OpKey {
  std::string pipeline;  // pipeline id
  std::string op;        // op name in that pipeline

  bool operator<(const OpKey& other) const;
  bool operator==(const OpKey& other) const;
};

struct FanoutRecord {  // items out per item in
  double mean = 1;
  double p95 = 1;
  int64_t n = 0;
};

struct BranchRate {  // how often the op's `when:` branch was taken
  int64_t taken = 0;
  int64_t seen = 0;
};

class ProfileStore {
 public:
  static constexpr int kSchema = 1;

  // This machine's store in `dir`, empty if there is none yet (nothing is created until
  // save()). Throws Error(bad_store) if the file is corrupt (after keeping a copy at
  // <file>.corrupt-<time>) or from a newer llama. Appends to `notes` (may be null) one line
  // for every other machine's store in `dir`, which is never used.
  static ProfileStore open(const std::string& dir, const Fingerprint& fp,
                           std::vector<std::string>* notes);

  // Moves this machine's store aside to <file>.bak-<time> (under the lock) so the next
  // open() starts empty. Returns the backup's path, or nullopt when there was no store.
  static std::optional<std::string> reset(const std::string& dir, const Fingerprint& fp);

  const std::string& path() const { return path_; }
  const Fingerprint& fingerprint() const { return fp_; }

  const LatencyStats* find(const EntryKey& key) const;
  void put(const EntryKey& key, const LatencyStats& stats);  // measured_at = now
  std::vector<Entry> entries() const;                        // in key order

  const FanoutRecord* find_fanout(const OpKey& key) const;
  void put_fanout(const OpKey& key, const FanoutRecord& fanout);
  const std::map<OpKey, FanoutRecord>& fanouts() const { return fanouts_; }

  const BranchRate* find_branch(const OpKey& key) const;
  void put_branch(const OpKey& key, const BranchRate& rate);
  const std::map<OpKey, BranchRate>& branches() const { return branches_; }

  // Creates `dir` if needed, locks, re-reads the file, merges and writes it atomically. What
  // this object put() since the last save wins over the file for the same key; keys only in
  // the file are kept (and now also visible here). Throws Error(output) naming the path when
  // it cannot write, Error(bad_store) when the file became corrupt meanwhile.
  void save();

 private:
  ProfileStore() = default;

  std::string dir_;
  std::string path_;
  Fingerprint fp_;
  std::map<EntryKey, Entry> entries_;
  std::map<OpKey, FanoutRecord> fanouts_;
  std::map<OpKey, BranchRate> branches_;
  // Put since the last save: these win in the merge, everything else defers to the file.
  std::set<EntryKey> dirty_entries_;
  std::set<OpKey> dirty_fanouts_;
  std::set<OpKey> dirty_branches_;
};

}  // namespace llama::profile
