#include "spec/condition.h"

#include <cctype>
#include <cstdlib>

namespace llama::spec {

struct Condition::Node {
  enum class Kind { or_, and_, not_, compare, operand } kind;
  std::string op;  // for compare: == != < <= > >=
  std::shared_ptr<const Node> left, right;
  // operand
  bool is_field = false;
  std::string field;
  Value literal;
};

namespace {

using NodePtr = std::shared_ptr<const Condition::Node>;
using Node = Condition::Node;

class Parser {
 public:
  Parser(const std::string& text, std::vector<std::string>& fields)
      : text_(text), fields_(fields) {}

  NodePtr parse() {
    NodePtr root = parse_or();
    skip_space();
    if (pos_ != text_.size()) fail("unexpected '" + text_.substr(pos_, 1) + "'");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& message) { throw ConditionError{message, pos_}; }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  bool accept(const std::string& token) {
    skip_space();
    if (text_.compare(pos_, token.size(), token) != 0) return false;
    pos_ += token.size();
    return true;
  }

  NodePtr binary(Node::Kind kind, NodePtr left, NodePtr right) {
    // eval and the tree's destructor recurse once per operator in a chain (`a || b || ...`).
    if (++operators_ > kMaxOperators)
      fail("more than " + std::to_string(kMaxOperators) + " operators");
    auto node = std::make_shared<Node>();
    node->kind = kind;
    node->left = std::move(left);
    node->right = std::move(right);
    return node;
  }

  NodePtr parse_or() {
    NodePtr left = parse_and();
    while (accept("||")) left = binary(Node::Kind::or_, left, parse_and());
    return left;
  }

  NodePtr parse_and() {
    NodePtr left = parse_unary();
    while (accept("&&")) left = binary(Node::Kind::and_, left, parse_unary());
    return left;
  }

  // '!' and '(' recurse; without a limit, a condition of a few thousand of them overflows the
  // stack (the parser's, and eval's later) instead of being refused.
  void enter() {
    if (++depth_ > kMaxDepth)
      fail("nested more than " + std::to_string(kMaxDepth) + " levels deep ('!' and '(')");
  }

  NodePtr parse_unary() {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '!' && text_.compare(pos_, 2, "!=") != 0) {
      ++pos_;
      enter();
      NodePtr inner = parse_unary();
      --depth_;
      return binary(Node::Kind::not_, inner, nullptr);
    }
    return parse_primary();
  }

  NodePtr parse_primary() {
    if (accept("(")) {
      enter();
      NodePtr inner = parse_or();
      if (!accept(")")) fail("missing ')'");
      --depth_;
      return inner;
    }
    NodePtr left = parse_operand();
    for (const char* op : {"==", "!=", "<=", ">=", "<", ">"}) {
      if (accept(op)) {
        auto node = binary(Node::Kind::compare, left, parse_operand());
        std::const_pointer_cast<Node>(node)->op = op;
        return node;
      }
    }
    return left;
  }

  NodePtr parse_operand() {
    skip_space();
    if (pos_ >= text_.size()) fail("expected a field, number or string at the end");
    auto node = std::make_shared<Node>();
    node->kind = Node::Kind::operand;
    char c = text_[pos_];
    if (c == '"' || c == '\'') {
      size_t close = text_.find(c, pos_ + 1);
      if (close == std::string::npos) fail("unterminated string");
      node->literal = text_.substr(pos_ + 1, close - pos_ - 1);
      pos_ = close + 1;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.') {
      const char* begin = text_.c_str() + pos_;
      char* end = nullptr;
      double value = std::strtod(begin, &end);
      if (end == begin) fail("expected a number");
      node->literal = value;
      pos_ += static_cast<size_t>(end - begin);
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = pos_;
      while (pos_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
        ++pos_;
      std::string word = text_.substr(start, pos_ - start);
      if (word == "true" || word == "false") {
        node->literal = (word == "true");
      } else {
        node->is_field = true;
        node->field = word;
        fields_.push_back(word);
      }
    } else {
      fail("unexpected '" + std::string(1, c) + "'");
    }
    return node;
  }

  static constexpr int kMaxDepth = 100;
  static constexpr int kMaxOperators = 1000;
  const std::string& text_;
  std::vector<std::string>& fields_;
  size_t pos_ = 0;
  int depth_ = 0;
  int operators_ = 0;
};

std::optional<Value> value_of(const Node& node, const Condition::Lookup& lookup) {
  if (node.is_field) return lookup(node.field);
  return node.literal;
}

bool truthy(const Value& v) {
  if (auto b = std::get_if<bool>(&v)) return *b;
  if (auto d = std::get_if<double>(&v)) return *d != 0.0;
  return !std::get<std::string>(v).empty();
}

bool compare(const std::string& op, const Value& a, const Value& b) {
  if (a.index() != b.index()) return op == "!=";  // a string is never equal to a number
  int order = 0;
  if (auto x = std::get_if<double>(&a)) {
    double y = std::get<double>(b);
    order = *x < y ? -1 : (*x > y ? 1 : 0);
  } else if (auto x = std::get_if<std::string>(&a)) {
    order = x->compare(std::get<std::string>(b));
  } else {
    order = static_cast<int>(std::get<bool>(a)) - static_cast<int>(std::get<bool>(b));
  }
  if (op == "==") return order == 0;
  if (op == "!=") return order != 0;
  if (op == "<") return order < 0;
  if (op == "<=") return order <= 0;
  if (op == ">") return order > 0;
  return order >= 0;
}

bool eval_node(const Node& node, const Condition::Lookup& lookup) {
  switch (node.kind) {
    case Node::Kind::or_:
      return eval_node(*node.left, lookup) || eval_node(*node.right, lookup);
    case Node::Kind::and_:
      return eval_node(*node.left, lookup) && eval_node(*node.right, lookup);
    case Node::Kind::not_:
      return !eval_node(*node.left, lookup);
    case Node::Kind::compare: {
      auto a = value_of(*node.left, lookup);
      auto b = value_of(*node.right, lookup);
      return a && b && compare(node.op, *a, *b);
    }
    case Node::Kind::operand: {
      auto v = value_of(node, lookup);
      return v && truthy(*v);
    }
  }
  return false;
}

}  // namespace

Condition Condition::parse(const std::string& text) {
  Condition c;
  c.text_ = text;
  Parser parser(text, c.fields_);
  c.root_ = parser.parse();
  return c;
}

bool Condition::eval(const Lookup& lookup) const {
  return root_ && eval_node(*root_, lookup);
}

}  // namespace llama::spec
