// Problems found in a pipeline file, each with its place and a fix, collected so that
// validation can report every problem at once instead of stopping at the first.
#pragma once

#include <string>
#include <vector>

namespace llama::spec {

struct SourceLocation {
  std::string file;
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
};

struct Diagnostic {
  SourceLocation where;
  std::string message;  // what is wrong, naming the op or key
  std::string fix;      // what to do about it; may be empty
};

class Diagnostics {
 public:
  void error(const SourceLocation& where, std::string message, std::string fix = "");
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const std::vector<Diagnostic>& items() const { return items_; }

  // "file:line:col: error: message (fix)" lines, in the order found.
  std::string format() const;

  // Throws llama::Error(bad_spec) with format() when anything was reported.
  void throw_if_any() const;

 private:
  std::vector<Diagnostic> items_;
};

// The closest candidate by edit distance, or "" when none is close enough to suggest.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace llama::spec
