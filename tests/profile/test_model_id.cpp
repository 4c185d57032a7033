#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "profile/model_id.h"

namespace fs = std::filesystem;
using llama::profile::model_files;
using llama::profile::model_id;

namespace {

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() /
             ("llama-test-model-id-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("a TFJS model is its .json and the shards its weightsManifest lists") {
  TempDir dir("manifest");
  write(dir.file("net.json"),
        R"({"format": "graph-model", "weightsManifest": [{"paths": ["net.1.bin", "net.2.bin"]}]})");
  write(dir.file("net.1.bin"), "aaaa");
  write(dir.file("net.2.bin"), "bbbb");
  std::vector<std::string> files = model_files(dir.file("net.json"));
  CHECK(files == std::vector<std::string>{dir.file("net.json"), dir.file("net.1.bin"),
                                          dir.file("net.2.bin")});

  std::string before = model_id(files);
  CHECK(before.size() == 16);
  CHECK(model_id(files) == before);      // stable
  write(dir.file("net.2.bin"), "bbbc");  // new weights, same names and sizes
  CHECK(model_id(files) != before);
}

TEST_CASE("a .json without a manifest takes <stem>.bin next to it") {
  TempDir dir("stem");
  write(dir.file("m.json"), R"({"format": "graph-model"})");
  CHECK(model_files(dir.file("m.json")).size() == 1);
  write(dir.file("m.bin"), "weights");
  std::vector<std::string> files = model_files(dir.file("m.json"));
  CHECK(files == std::vector<std::string>{dir.file("m.json"), dir.file("m.bin")});
  std::string before = model_id(files);
  write(dir.file("m.bin"), "weights2");
  CHECK(model_id(files) != before);
}

TEST_CASE("a TorchScript file is identified by its own bytes") {
  TempDir dir("pt");
  write(dir.file("net.pt"), "zipbytes");
  CHECK(model_files(dir.file("net.pt")) == std::vector<std::string>{dir.file("net.pt")});
  std::string a = model_id({dir.file("net.pt")});
  write(dir.file("net.pt"), "zipbytez");
  CHECK(model_id({dir.file("net.pt")}) != a);
}

TEST_CASE("a missing model file is a bad input naming the file") {
  TempDir dir("missing");
  try {
    model_id({dir.file("gone.json")});
    FAIL("no error");
  } catch (const llama::Error& e) {
    CHECK(e.code() == llama::ExitCode::bad_input);
    CHECK(std::string(e.what()).find("gone.json") != std::string::npos);
  }
}
