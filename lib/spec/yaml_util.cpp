#include "spec/yaml_util.h"

#include <algorithm>
#include <cstdio>

#include "base/error.h"

namespace llama::spec {

namespace {

// Offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlongs,
// surrogates or code points past U+10FFFF), or of the first NUL; npos when there is none.
size_t first_non_utf8(const std::string& text) {
  for (size_t i = 0; i < text.size();) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char c = byte(i);
    if (c == 0) return i;
    size_t n = c < 0x80                 ? 1
               : c >= 0xC2 && c <= 0xDF ? 2
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4
                                        : 0;
    if (n == 0 || i + n > text.size()) return i;
    // The second byte's range excludes overlongs (E0, F0), surrogates (ED) and > U+10FFFF (F4).
    const unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    if (n > 1 && (byte(i + 1) < lo || byte(i + 1) > hi)) return i;
    for (size_t k = 2; k < n; ++k)
      if ((byte(i + k) & 0xC0) != 0x80) return i;
    i += n;
  }
  return std::string::npos;
}

}  // namespace

YAML::Node parse_yaml(const std::string& text, const std::string& file) {
  // yaml-cpp passes bytes through unchecked (and reads text with NULs as UTF-16/32), but every
  // name and value read here ends up in JSON (reports, --json views, the validator's own
  // messages), and nlohmann::json throws type_error when it writes a string that is not
  // UTF-8: caught here, that is a bad-spec error pointing at the byte instead of a crash.
  if (size_t bad = first_non_utf8(text); bad != std::string::npos) {
    const size_t newline = bad == 0 ? std::string::npos : text.rfind('\n', bad - 1);
    const size_t column = bad - (newline == std::string::npos ? 0 : newline + 1) + 1;
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + bad, '\n'));
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(text[bad]));
    throw Error(ExitCode::bad_spec,
                file + ":" + std::to_string(line) + ":" + std::to_string(column) +
                    ": error: the file is not UTF-8 text (byte " + hex + ") (save it as UTF-8)");
  }
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw Error(ExitCode::bad_spec, file + ":" + std::to_string(e.mark.line + 1) + ":" +
                                        std::to_string(e.mark.column + 1) +
                                        ": error: malformed YAML: " + e.msg +
                                        " (check indentation, colons and quotes near here)");
  }
}

Error yaml_value_error(const std::string& file, const YAML::Exception& e) {
  std::string where = file + ":";
  if (!e.mark.is_null())
    where += std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ":";
  return Error(ExitCode::bad_spec, where + " error: expected a plain value here (" + e.msg +
                                       ") (keys, names and paths are plain text, not lists or "
                                       "mappings)");
}

SourceLocation location_of(const std::string& file, const YAML::Node& node) {
  YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

}  // namespace llama::spec
