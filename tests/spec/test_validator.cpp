#include <doctest/doctest.h>

#include "spec/loader.h"
#include "spec/validator.h"

using namespace llama::spec;

namespace {

// A catalog written for the test, so the spec layer is tested without lib/ops.
OpCatalog test_catalog() {
  OpCatalog c;
  OpSignature decode{"decode", "", {}, true, ItemKind::frame, {"frame", "t"}, {}, {}};
  decode.knobs = {{"device", {"cpu"}, 0, 0, false}, {"threads", {}, 1, 64, true}};
  c.add(decode);
  OpSignature motion{
      "motion_filter", "", {ItemKind::frame}, true, ItemKind::frame, {"regions", "motion"}, {}, {}};
  motion.params = {{"threshold", ParamType::number, false, "", {}},
                   {"emit", ParamType::string, false, "", {"changed", "all"}}};
  c.add(motion);
  OpSignature count{
      "window_count", "", {ItemKind::frame}, true, ItemKind::count, {"items"}, {}, {}};
  count.params = {{"window", ParamType::duration, true, "window length, e.g. 1s", {}}};
  c.add(count);
  c.add({"encode", "", {ItemKind::frame}, false, ItemKind::frame, {}, {}, {}});
  OpSignature sink{"sink", "", {ItemKind::frame, ItemKind::count}, false, ItemKind::frame, {},
                   {},     {}};
  sink.params = {{"file", ParamType::output_file, false, "output file in --out", {}}};
  c.add(sink);
  return c;
}

std::string check(const std::string& yaml) {
  Diagnostics d;
  PipelineSpec p = load_pipeline_text(yaml, "t.yaml", d);
  validate_pipeline(p, test_catalog(), d);
  return d.format();
}

}  // namespace

TEST_CASE("a correct pipeline has no diagnostics") {
  CHECK(check(R"(ops:
  - {name: d, op: decode, knobs: {threads: [1, 2]}}
  - {name: m, op: motion_filter, input: d, params: {emit: all}}
  - {name: c, op: window_count, input: m, params: {window: 2s}, when: regions > 1}
  - {name: s, op: sink, input: c}
)") == "");
}

TEST_CASE("unknown op kinds and inputs get a did-you-mean") {
  std::string out = check(R"(ops:
  - {name: decode, op: decode}
  - {name: m, op: motion_fliter, input: decode}
  - {name: s, op: sink, input: decodee}
)");
  CHECK(out.find("t.yaml:3:19: error: unknown op 'motion_fliter' in op 'm' (did you mean "
                 "'motion_filter'?)") != std::string::npos);
  CHECK(out.find(
            "t.yaml:4:32: error: op 's' takes input from 'decodee', which does not exist (did you "
            "mean 'decode'?)") != std::string::npos);
}

TEST_CASE("item kinds must match along edges, and terminal ops feed nothing") {
  std::string out = check(R"(ops:
  - {name: d, op: decode}
  - {name: c, op: window_count, input: d, params: {window: 1s}}
  - {name: e, op: encode, input: c}
  - {name: s, op: sink, input: e}
)");
  CHECK(out.find("op 'e' (encode) cannot take count items from 'c' (it takes: frame)") !=
        std::string::npos);
  CHECK(out.find("op 'e' (encode) produces no items to feed 's'") != std::string::npos);
}

TEST_CASE("knob values outside what the op supports are refused") {
  std::string out = check(R"(ops:
  - {name: d, op: decode, knobs: {threads: [0, 2.5], device: [cuda], batch: [4]}}
  - {name: s, op: sink, input: d}
)");
  CHECK(out.find("knob 'threads' of op 'd' cannot be '0' (use an integer from 1 to 64)") !=
        std::string::npos);
  CHECK(out.find("cannot be '2.5'") != std::string::npos);
  CHECK(out.find("op 'd' (decode) does not support device 'cuda' (supported: cpu)") !=
        std::string::npos);
  CHECK(out.find("op 'd' (decode) has no knob 'batch'") != std::string::npos);
}

TEST_CASE("params are checked for name, type, choices and presence") {
  std::string out = check(R"(ops:
  - {name: d, op: decode}
  - {name: m, op: motion_filter, input: d, params: {treshold: 3, emit: some}}
  - {name: c, op: window_count, input: m}
  - {name: c2, op: window_count, input: m, params: {window: 10}}
  - {name: s, op: sink, inputs: [c, c2]}
)");
  CHECK(out.find("op 'm' (motion_filter) has no param 'treshold' (did you mean 'threshold'?)") !=
        std::string::npos);
  CHECK(out.find("param 'emit' of op 'm' cannot be 'some'") != std::string::npos);
  CHECK(out.find("op 'c' (window_count) needs param 'window'") != std::string::npos);
  CHECK(out.find("param 'window' of op 'c2' must be a duration, got 10") != std::string::npos);
}

TEST_CASE("when: may only read fields its input items have") {
  std::string out = check(R"(ops:
  - {name: d, op: decode}
  - {name: m, op: motion_filter, input: d, when: label == "person"}
  - {name: s, op: sink, input: m, when: regons > 2}
)");
  CHECK(out.find("the 'when' of op 'm' reads field 'label'") != std::string::npos);
  CHECK(out.find(
            "reads field 'regons', which its input items do not have (did you mean 'regions'?)") !=
        std::string::npos);
}

TEST_CASE("sources take no input; other ops need one") {
  std::string out = check(R"(ops:
  - {name: d, op: decode, input: s}
  - {name: m, op: motion_filter}
  - {name: s, op: sink, input: m}
)");
  CHECK(out.find("op 'd' (decode) reads the input video and takes no input") != std::string::npos);
  CHECK(out.find("op 'm' (motion_filter) has no input") != std::string::npos);
}

TEST_CASE("an output file stays inside --out: relative, without '..', not in llama's .llama/") {
  auto sink_to = [](const std::string& file) {
    return check(
        "ops:\n  - {name: d, op: decode}\n  - {name: s, op: sink, input: d, params: "
        "{file: " +
        file + "}}\n");
  };
  CHECK(sink_to("records.jsonl") == "");
  CHECK(sink_to("per_video/records.jsonl") == "");
  CHECK(sink_to(".llama.jsonl") == "");
  for (const std::string bad : {"/etc/records.jsonl", "../records.jsonl", "a/../../b.jsonl", "\"\"",
                                "some/folder/", ".llama/records.jsonl"}) {
    CAPTURE(bad);
    const std::string out = sink_to(bad);
    CHECK(out.find("t.yaml:3:") != std::string::npos);
    CHECK(out.find("param 'file' of op 's' must be a file name inside --out") != std::string::npos);
  }
}
