#include <doctest/doctest.h>

#include "base/error.h"
#include "spec/loader.h"

using namespace llama::spec;

TEST_CASE("a pipeline loads with its ops, knobs, params and resolved paths") {
  Diagnostics d;
  PipelineSpec p = load_pipeline_text(R"(
name: demo
input: ../data/vtest.avi
slo: 1m30s
ops:
  - name: decode
    op: decode
    knobs: {threads: [2, 1], batch: 8}
  - name: motion
    op: motion_filter
    input: decode
    when: motion > 0.1
    params: {threshold: 30, emit: all}
  - name: out
    op: sink
    inputs: [motion]
)",
                                      "pipelines/demo.yaml", d);
  CHECK(d.empty());
  CHECK(p.name == "demo");
  REQUIRE(p.inputs.size() == 1);
  CHECK(p.inputs[0] == "data/vtest.avi");
  CHECK(p.slo.seconds() == doctest::Approx(90));
  REQUIRE(p.ops.size() == 3);
  CHECK(p.ops[0].knobs.at("threads").values == std::vector<std::string>{"2", "1"});
  CHECK(p.ops[0].knobs.at("batch").values == std::vector<std::string>{"8"});
  CHECK(p.ops[1].params.at("threshold").value == 30);
  CHECK(p.ops[1].params.at("emit").value == "all");
  CHECK(p.ops[1].when->text() == "motion > 0.1");
  CHECK(p.ops[2].inputs[0].op == "motion");
  CHECK(p.ops[1].where.line == 9);
  CHECK(p.ops[1].kind_where.line == 10);
  CHECK(p.ops[1].kind_where.column == 9);
}

TEST_CASE("malformed YAML throws a bad-spec error with file:line:col") {
  Diagnostics d;
  try {
    load_pipeline_text("name: x\nops: [\n  - {name: a\n", "bad.yaml", d);
    FAIL("expected an error");
  } catch (const llama::Error& e) {
    CHECK(e.code() == llama::ExitCode::bad_spec);
    CHECK(std::string(e.what()).find("bad.yaml:") == 0);
    CHECK(std::string(e.what()).find("malformed YAML") != std::string::npos);
  }
}

TEST_CASE("a missing pipeline file is a bad-spec error naming it") {
  Diagnostics d;
  CHECK_THROWS_WITH_AS(load_pipeline_file("no/such.yaml", d), doctest::Contains("no/such.yaml"),
                       llama::Error);
}

TEST_CASE("structural problems are all collected, with places and fixes") {
  Diagnostics d;
  load_pipeline_text(R"(name: x
slo: fast
sloo: 2s
ops:
  - name: decode
    op: decode
    parms: {fps: 2}
  - name: m
    op: motion_filter
    input: decode
    when: regions >
)",
                     "p.yaml", d);
  REQUIRE(d.size() == 4);
  std::string text = d.format();
  CHECK(text.find("p.yaml:2:6: error: slo 'fast' is not a positive duration") != std::string::npos);
  CHECK(text.find("p.yaml:3:1: error: unknown key 'sloo' in pipeline (did you mean 'slo'?)") !=
        std::string::npos);
  CHECK(
      text.find("p.yaml:7:5: error: unknown key 'parms' in op 'decode' (did you mean 'params'?)") !=
      std::string::npos);
  CHECK(text.find("p.yaml:11:20: error: bad condition") != std::string::npos);
}

TEST_CASE("a pipeline without ops says how to start one") {
  Diagnostics d;
  load_pipeline_text("name: empty\n", "e.yaml", d);
  REQUIRE(d.size() == 1);
  CHECK(d.items()[0].message.find("no ops") != std::string::npos);
}
