// `when:` conditions on item fields, e.g. `label == "person" && score > 0.5`.
// Grammar: or := and ('||' and)* ; and := unary ('&&' unary)* ; unary := '!' unary | primary ;
// primary := '(' or ')' | operand (cmp operand)? ; operand := field | number | "string" | true |
// false
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace llama::spec {

using Value = std::variant<double, std::string, bool>;

class Condition {
 public:
  // Throws ConditionError with the 0-based offset of the problem in `text`.
  static Condition parse(const std::string& text);

  // Looks a field up on the item; nullopt when the item has no such field, which makes any
  // comparison with it false (a detection without `label` is not a person).
  using Lookup = std::function<std::optional<Value>(const std::string& field)>;
  bool eval(const Lookup& lookup) const;

  const std::string& text() const { return text_; }
  const std::vector<std::string>& fields() const { return fields_; }  // every field named

  struct Node;

 private:
  std::string text_;
  std::vector<std::string> fields_;
  std::shared_ptr<const Node> root_;
};

struct ConditionError {
  std::string message;
  size_t offset = 0;
};

}  // namespace llama::spec
