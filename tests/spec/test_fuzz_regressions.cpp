// Inputs the fuzz targets (tests/fuzz, scripts/fuzz) found to crash or hang the spec layer,
// each reduced to the part that mattered. They must now end as Error(bad_spec) or as a
// diagnostic, the way any other mistake in a pipeline or price sheet does.
#include <doctest/doctest.h>

#include <string>

#include "base/error.h"
#include "error_message.h"
#include "spec/condition.h"
#include "spec/loader.h"
#include "spec/price_sheet.h"
#include "spec/validator.h"

using namespace llama::spec;
using namespace std::string_literals;

namespace {

// The message of the Error(bad_spec) that `f` throws.
template <class F>
std::string bad_spec_message(F f) {
  return llama::test::error_message(llama::ExitCode::bad_spec, f);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

OpCatalog decode_and_sink() {
  OpCatalog c;
  OpSignature decode{"decode", "", {}, true, ItemKind::frame, {"frame"}, {}, {}};
  decode.params = {{"fps", ParamType::number, false, "", {}}};
  c.add(decode);
  c.add({"sink", "", {ItemKind::frame}, false, ItemKind::frame, {}, {}, {}});
  return c;
}

}  // namespace

TEST_CASE("a pipeline that is not UTF-8 is a bad spec naming the byte, not a json type_error") {
  // fuzz_pipeline_yaml: a byte 0xFF in a param reached the validator's message, whose
  // nlohmann::json::dump() threw type_error 316 out of `llama validate`.
  const std::string yaml = "ops:\n  - {name: d, op: decode, params: {fps: \xff}}\n";
  std::string message = bad_spec_message([&] {
    Diagnostics d;
    PipelineSpec p = load_pipeline_text(yaml, "p.yaml", d);
    validate_pipeline(p, decode_and_sink(), d);
  });
  CHECK(contains(message, "p.yaml:2:41: error: the file is not UTF-8 text (byte 0xFF)"));

  // Overlong forms, surrogates, code points past U+10FFFF, cut-off sequences and NULs too;
  // well-formed UTF-8 (with a byte order mark) is fine.
  for (const std::string& text :
       {"name: \xc0\xaf\n"s, "name: \xed\xa0\x80\n"s, "name: \xf4\x90\x80\x80\n"s,
        "name: \xe2\x82"s, "name: a\0b\n"s}) {
    CHECK(contains(bad_spec_message([&] {
                     Diagnostics d;
                     load_pipeline_text(text, "p.yaml", d);
                   }),
                   "not UTF-8"));
  }
  Diagnostics d;
  PipelineSpec p = load_pipeline_text(
      "\xef\xbb\xbfname: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xa5\nops: []\n", "p.yaml", d);
  CHECK(p.name == "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xa5");
}

TEST_CASE("a list or mapping where a key or name belongs is a bad spec, not a yaml-cpp error") {
  // fuzz_pipeline_yaml: `[x]: 1` as an op's key threw YAML::TypedBadConversion out of the
  // loader's check_keys(), and so out of every command that reads a pipeline.
  std::string message = bad_spec_message([] {
    Diagnostics d;
    load_pipeline_text("ops:\n  - {name: d, op: decode, [x]: 1}\n", "p.yaml", d);
  });
  CHECK(contains(message, "p.yaml:2:"));
  CHECK(contains(message, "error: expected a plain value here"));
  bad_spec_message([] {
    Diagnostics d;
    load_pipeline_text("models: {m: {path: [a, b]}}\nops: []\n", "p.yaml", d);
  });

  // fuzz_price_sheet: the same in a price sheet, through its key check and `currency`.
  CHECK(contains(bad_spec_message([] {
                   load_price_sheet_text("cpu_core_second: 0\ngpu_second: {H100: x, [L4]: 1}\n",
                                         "prices.yaml");
                 }),
                 "prices.yaml:2:"));
  bad_spec_message([] {
    load_price_sheet_text("currency: [USD]\ncpu_core_second: 0\ngpu_second: 0\n", "prices.yaml");
  });
}

TEST_CASE("an infinite price is refused: cost reports are JSON, which has no infinity") {
  CHECK(contains(bad_spec_message([] {
                   load_price_sheet_text("cpu_core_second: .inf\ngpu_second: {default: .inf}\n",
                                         "prices.yaml");
                 }),
                 "prices.yaml:1:18: error: cpu_core_second must be a number of dollars"));
}

TEST_CASE("deeply nested or very long conditions are refused, not a stack overflow") {
  // Found with tests/fuzz/fuzz_pipeline_yaml on a hand-made input: the parser recursed once
  // per '(' or '!', and eval and the destructor once per operator of a chain.
  const std::string deep = std::string(5000, '(') + "frame" + std::string(5000, ')');
  const std::string nots = std::string(20000, '!') + "frame";
  std::string chain = "frame";
  for (int i = 0; i < 100000; ++i) chain += "||frame";
  for (const std::string& text : {deep, nots, chain}) {
    try {
      Condition::parse(text);
      FAIL("parsed");
    } catch (const ConditionError& e) {
      CHECK((contains(e.message, "nested more than 100 levels") ||
             contains(e.message, "more than 1000 operators")));
    }
  }
  // What real pipelines write still parses.
  CHECK(Condition::parse("!(label == \"person\") && (score > 0.5 || !(w < 10))").fields().size() ==
        3);
  Diagnostics d;
  load_pipeline_text("ops:\n  - {name: d, op: decode}\n  - {name: s, op: sink, input: d, when: \"" +
                         deep + "\"}\n",
                     "p.yaml", d);
  CHECK(contains(d.format(), "bad condition in 'when' of op 's': nested more than 100 levels"));
}

TEST_CASE("YAML aliases that expand params to millions of values are refused, not a hang") {
  // "Billion laughs": nine levels of ten aliases each are 10^9 values once copied into JSON.
  std::string yaml = "x:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    yaml += "  a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) yaml += (k ? ", " : "") + prev;
    yaml += "]\n";
  }
  yaml += "ops:\n  - {name: d, op: decode, params: {fps: *a8}}\n";
  CHECK(contains(bad_spec_message([&] {
                   Diagnostics d;
                   load_pipeline_text(yaml, "p.yaml", d);
                 }),
                 "expand to more than 10000 values"));
}
