#include "spec/op_signature.h"

namespace llama::spec {

const char* to_string(ItemKind kind) {
  switch (kind) {
    case ItemKind::frame:
      return "frame";
    case ItemKind::detection:
      return "detection";
    case ItemKind::crop:
      return "crop";
    case ItemKind::embedding:
      return "embedding";
    case ItemKind::count:
      return "count";
  }
  return "?";
}

}  // namespace llama::spec
