#include "ops/item.h"

namespace llama::ops {

std::optional<spec::Value> item_field(const Item& item, const std::string& name) {
  auto it = item.fields.find(name);
  if (it != item.fields.end()) {
    if (it->is_number()) return it->get<double>();
    if (it->is_string()) return it->get<std::string>();
    if (it->is_boolean()) return it->get<bool>();
    return std::nullopt;
  }
  if (name == "frame") return static_cast<double>(item.frame_index);
  if (name == "t") return item.timestamp_s;
  if (name == "video") return static_cast<double>(item.video);
  return std::nullopt;
}

}  // namespace llama::ops
