#include <doctest/doctest.h>

#include <map>

#include "spec/condition.h"

using llama::spec::Condition;
using llama::spec::ConditionError;
using llama::spec::Value;

namespace {

bool eval(const std::string& text, const std::map<std::string, Value>& fields) {
  return Condition::parse(text).eval([&](const std::string& name) -> std::optional<Value> {
    auto it = fields.find(name);
    if (it == fields.end()) return std::nullopt;
    return it->second;
  });
}

}  // namespace

TEST_CASE("conditions compare strings and numbers and combine with && || !") {
  std::map<std::string, Value> person = {{"label", std::string("person")}, {"score", 0.7}};
  CHECK(eval("label == \"person\" && score > 0.5", person));
  CHECK_FALSE(eval("label == \"car\" && score > 0.5", person));
  CHECK(eval("label == 'car' || score >= 0.7", person));
  CHECK(eval("!(score < 0.5)", person));
  CHECK(eval("label != \"car\"", person));
  CHECK(eval("(label == \"car\" || label == \"person\") && !(score <= 0.1)", person));
}

TEST_CASE("a missing field makes a comparison false, not an error") {
  CHECK_FALSE(eval("label == \"person\"", {}));
  CHECK_FALSE(eval("score > 0", {}));
}

TEST_CASE("a string never equals a number") {
  CHECK_FALSE(eval("label == 1", {{"label", std::string("1")}}));
}

TEST_CASE("fields lists every field the condition reads") {
  Condition c = Condition::parse("label == \"person\" && score > 0.5 || regions > 2");
  CHECK(c.fields() == std::vector<std::string>{"label", "score", "regions"});
}

TEST_CASE("malformed conditions report where they go wrong") {
  auto offset_of = [](const std::string& text) -> size_t {
    try {
      Condition::parse(text);
    } catch (const ConditionError& e) {
      return e.offset;
    }
    FAIL("no error for: " << text);
    return 0;
  };
  CHECK(offset_of("regions >") == 9);
  CHECK(offset_of("label == \"person") == 9);
  CHECK(offset_of("(score > 1") == 10);
  CHECK(offset_of("score > 1 junk") == 10);
  CHECK(offset_of("score # 1") == 6);
}
