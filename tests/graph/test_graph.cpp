#include <doctest/doctest.h>

#include "base/error.h"
#include "graph/graph.h"

using namespace llama;
using spec::ItemKind;

namespace {

spec::OpCatalog catalog() {
  spec::OpCatalog c;
  c.add({"decode", "", {}, true, ItemKind::frame, {}, {}, {}});
  c.add({"f", "", {ItemKind::frame}, true, ItemKind::frame, {}, {}, {}});
  c.add({"count", "", {ItemKind::frame}, true, ItemKind::count, {}, {}, {}});
  c.add({"sink", "", {ItemKind::frame, ItemKind::count}, false, ItemKind::frame, {}, {}, {}});
  return c;
}

std::vector<std::string> names(const graph::Pipeline& p, const std::vector<int>& nodes) {
  std::vector<std::string> out;
  for (int n : nodes) out.push_back(p.graph.nodes()[n].op->name);
  return out;
}

}  // namespace

TEST_CASE("a diamond has a topological order, two paths and typed edges") {
  auto cat = catalog();
  graph::Pipeline p = graph::load_pipeline_text(R"(ops:
  - {name: sink, op: sink, inputs: [left, right]}
  - {name: left, op: f, input: decode}
  - {name: decode, op: decode}
  - {name: right, op: count, input: decode}
)",
                                                "d.yaml", cat);
  std::vector<std::string> order = names(p, p.graph.topological_order());
  CHECK(order.front() == "decode");
  CHECK(order.back() == "sink");
  auto paths = p.graph.source_to_sink_paths();
  REQUIRE(paths.size() == 2);
  CHECK(names(p, paths[0]) == std::vector<std::string>{"decode", "left", "sink"});
  CHECK(names(p, paths[1]) == std::vector<std::string>{"decode", "right", "sink"});
  CHECK(names(p, p.graph.sources()) == std::vector<std::string>{"decode"});
  CHECK(names(p, p.graph.sinks()) == std::vector<std::string>{"sink"});
  int right = p.graph.find("right");
  CHECK(p.graph.edges()[p.graph.nodes()[right].out_edges[0]].kind == ItemKind::count);
}

TEST_CASE("a cycle is reported once, naming its ops in flow order") {
  auto cat = catalog();
  try {
    graph::load_pipeline_text(R"(ops:
  - {name: decode, op: decode}
  - {name: a, op: f, inputs: [decode, c]}
  - {name: b, op: f, input: a}
  - {name: c, op: f, input: b}
  - {name: s, op: sink, input: c}
)",
                              "c.yaml", cat);
    FAIL("expected a cycle error");
  } catch (const Error& e) {
    std::string text = e.what();
    CHECK(e.code() == ExitCode::bad_spec);
    CHECK(text.find("the ops form a cycle: a -> b -> c -> a") != std::string::npos);
    CHECK(text.find("c.yaml:3:") == 0);
    CHECK(text.find("cycle", text.find("cycle") + 1) == std::string::npos);  // once
  }
}

TEST_CASE("problems from the spec and the graph come back together") {
  auto cat = catalog();
  try {
    graph::load_pipeline_text(R"(ops:
  - {name: decode, op: decode}
  - {name: a, op: f, input: b}
  - {name: b, op: f, input: a}
  - {name: s, op: snk, input: a}
)",
                              "m.yaml", cat);
    FAIL("expected errors");
  } catch (const Error& e) {
    std::string text = e.what();
    CHECK(text.find("cycle") != std::string::npos);
    CHECK(text.find("unknown op 'snk'") != std::string::npos);
    CHECK(text.find("2 errors") != std::string::npos);
  }
}
