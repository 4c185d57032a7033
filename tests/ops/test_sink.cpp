#include <doctest/doctest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "op_test_util.h"

using namespace llama;

TEST_CASE("sink writes one JSON record per item with the documented fields") {
  auto dir = std::filesystem::temp_directory_path() / ("llama-sink-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    test::OpUnderTest s("{name: out, op: sink, input: decode}", dir.string());
    ops::Item item = test::frame_item(test::solid_frame(4, 4, 0, 1.5, 15), 1);
    std::string producer = "motion";
    item.producer = &producer;
    item.fields["regions"] = 2;
    item.boxes = {{1, 2, 3, 4}};
    s.run({item});
    std::vector<ops::Item> none;
    s.op->finish(none);
  }
  std::ifstream in(dir / "out.jsonl");
  std::string line;
  REQUIRE(std::getline(in, line));
  auto record = nlohmann::json::parse(line);
  CHECK(record["video"] == "b.mp4");
  CHECK(record["frame"] == 15);
  CHECK(record["t"] == 1.5);
  CHECK(record["op"] == "motion");
  CHECK(record["regions"] == 2);
  CHECK(record["boxes"] == nlohmann::json::parse("[[1,2,3,4]]"));
  CHECK_FALSE(std::getline(in, line));
  std::filesystem::remove_all(dir);
}
