#include "spec/diagnostics.h"

#include <algorithm>

#include "base/error.h"

namespace llama::spec {

void Diagnostics::error(const SourceLocation& where, std::string message, std::string fix) {
  items_.push_back({where, std::move(message), std::move(fix)});
}

std::string Diagnostics::format() const {
  std::string out;
  for (const Diagnostic& d : items_) {
    out += d.where.file;
    if (d.where.line > 0)
      out += ":" + std::to_string(d.where.line) + ":" + std::to_string(d.where.column);
    out += ": error: " + d.message;
    if (!d.fix.empty()) out += " (" + d.fix + ")";
    out += "\n";
  }
  if (items_.size() > 1) out += std::to_string(items_.size()) + " errors\n";
  return out;
}

void Diagnostics::throw_if_any() const {
  if (empty()) return;
  std::string text = format();
  if (!text.empty() && text.back() == '\n') text.pop_back();
  throw Error(ExitCode::bad_spec, text);
}

namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  // A suggestion further than a third of the word away is noise, not help.
  size_t best = word.size() / 3 + 1;
  std::string choice;
  for (const std::string& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best || (d == best && choice.empty() && d <= 2)) {
      best = d;
      choice = c;
    }
  }
  return choice;
}

}  // namespace llama::spec
