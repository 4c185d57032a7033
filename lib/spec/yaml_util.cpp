#include "spec/yaml_util.h"

#include "base/error.h"

namespace llama::spec {

YAML::Node parse_yaml(const std::string& text, const std::string& file) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw Error(ExitCode::bad_spec, file + ":" + std::to_string(e.mark.line + 1) + ":" +
                                        std::to_string(e.mark.column + 1) +
                                        ": error: malformed YAML: " + e.msg +
                                        " (check indentation, colons and quotes near here)");
  }
}

SourceLocation location_of(const std::string& file, const YAML::Node& node) {
  YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

}  // namespace llama::spec
