// What an op declares about itself, as data: the item kinds it takes and makes, its
// params and knobs. The spec checks pipelines against these; lib/ops fills them in, so this
// layer never needs to know the ops themselves.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace llama::spec {

// What flows on an edge.
// What flows on an edge: a frame; one detected object on a frame; a crop of one (its own
// small image); an embedding of one; a count per time window.
enum class ItemKind { frame, detection, crop, embedding, count };

const char* to_string(ItemKind kind);

// `model` names an entry of the pipeline's `models:` section; `output_file` is a file name
// inside --out (relative, no `..`), so a pipeline never writes outside the folder it was given.
enum class ParamType { string, number, integer, boolean, duration, list, model, output_file, any };

struct ParamSignature {
  std::string name;
  ParamType type = ParamType::any;
  bool required = false;
  std::string help;                  // one line, shown in errors and `llama validate`
  std::vector<std::string> choices;  // for strings: the only values allowed, when non-empty
};

// The values an op supports for one knob. `choices` lists them when finite; otherwise the
// knob takes numbers in [min, max] (integers when `integer`).
struct KnobSignature {
  std::string name;
  std::vector<std::string> choices;
  double min = 0;
  double max = 0;
  bool integer = true;
};

struct OpSignature {
  std::string kind;
  std::string summary;
  std::vector<ItemKind> accepts;  // empty: a source, fed by the input video
  bool produces_items = true;     // false for terminal ops (sink, encode)
  ItemKind produces = ItemKind::frame;
  std::vector<std::string> fields;  // fields of the items it makes, for `when:` conditions
  std::vector<ParamSignature> params;
  std::vector<KnobSignature> knobs;
  // Version of the op's implementation as far as its cost goes: profiles are keyed by it, so
  // bump it when a change to the op's kernel changes how long it takes (a new algorithm, a
  // different model runtime), and old measurements become stale instead of wrong-but-used.
  int impl_version = 1;
  // Invocations may run at once, each on its own instance of the op: it keeps no state from
  // one batch to the next (a detector, a blur), unlike a decoder, a tracker, a counter or a
  // file writer, which run one invocation at a time, in order.
  bool parallel = false;

  const ParamSignature* find_param(const std::string& name) const {
    for (const auto& p : params)
      if (p.name == name) return &p;
    return nullptr;
  }
  const KnobSignature* find_knob(const std::string& name) const {
    for (const auto& k : knobs)
      if (k.name == name) return &k;
    return nullptr;
  }
};

class OpCatalog {
 public:
  void add(OpSignature signature) { by_kind_[signature.kind] = std::move(signature); }
  const OpSignature* find(const std::string& kind) const {
    auto it = by_kind_.find(kind);
    return it == by_kind_.end() ? nullptr : &it->second;
  }
  std::vector<std::string> kinds() const {
    std::vector<std::string> out;
    for (const auto& [kind, _] : by_kind_) out.push_back(kind);
    return out;
  }

 private:
  std::map<std::string, OpSignature> by_kind_;
};

}  // namespace llama::spec
