// Inputs the fuzz target tests/fuzz/fuzz_profile_store.cpp (scripts/fuzz) ran into: store
// files that made the readers misbehave. They must now be reported as a corrupt store.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "base/error.h"
#include "profile/store.h"

namespace fs = std::filesystem;
using llama::profile::Fingerprint;
using llama::profile::ProfileStore;

namespace {

const Fingerprint kMachine{"Fuzz CPU @ 1.00GHz", 2, "", 0, "1.13.1"};

// A store file holding `fingerprint` and one entry whose `field` is `value` (JSON text).
std::string store_text(const std::string& field, const std::string& value) {
  std::string entry = R"({"op_kind": "blur", "impl_version": 1, "model_id": "", "input": "64x48",
    "config": {}, "batch": 1, "measured_at": "2024-05-01T12:00:00Z",
    "stats": {"n": 1, "mean_ms": 0.5, "p50_ms": 0.5, "p95_ms": 0.5, "stdev_ms": 0,
              "min_ms": 0.5, "max_ms": 0.5}})";
  std::string fingerprint = R"({"cpu_model": "Fuzz CPU @ 1.00GHz", "cores": 2, "gpu_name": "",
    "gpu_memory_mb": 0, "torch_version": "1.13.1"})";
  std::string& where = field == "cores" ? fingerprint : entry;
  size_t at = where.find("\"" + field + "\": ");
  REQUIRE(at != std::string::npos);
  at += field.size() + 4;
  where.replace(at, where.find_first_of(",}", at) - at, value);
  return R"({"schema": 1, "fingerprint": )" + fingerprint + R"(, "entries": [)" + entry +
         R"(], "fanout": [], "branches": []})";
}

// The Error that opening `text` as this machine's store throws, as "<code>: <message>".
std::string open_error(const std::string& text) {
  fs::path dir =
      fs::temp_directory_path() / ("llama-test-fuzz-store-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / (llama::profile::key(kMachine) + ".json")) << text;
  std::string out = "no error";
  try {
    ProfileStore::open(dir.string(), kMachine, nullptr);
  } catch (const llama::Error& e) {
    out = std::to_string(static_cast<int>(e.code())) + ": " + e.what();
  }
  fs::remove_all(dir);
  return out;
}

}  // namespace

TEST_CASE("integers out of range in a store are corrupt, not undefined behaviour") {
  // fuzz_profile_store: nlohmann's get_to(int) cast the double 1e300 to int, which UBSan
  // reports as "1e+300 is outside the range of representable values of type 'int'".
  CHECK(open_error(store_text("impl_version", "1")) == "no error");
  for (const char* field : {"impl_version", "batch", "n"}) {
    std::string error = open_error(store_text(field, "1e300"));
    CAPTURE(field);
    CHECK(error.rfind("8: ", 0) == 0);  // bad_store
    CHECK(error.find("corrupt or truncated (number 1e+300 does not fit a") != std::string::npos);
  }
  // A big integer wrapped silently: cores 2^32 + 2 read as 2, this machine's count.
  CHECK(open_error(store_text("cores", "4294967298")).rfind("8: ", 0) == 0);
  CHECK(open_error(store_text("batch", "-1e300")).rfind("8: ", 0) == 0);
  // Floats that fit still truncate, as before.
  CHECK(open_error(store_text("batch", "4.0")) == "no error");
}
