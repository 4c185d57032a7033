#include "graph/graph.h"

#include <algorithm>
#include <functional>

#include "spec/loader.h"
#include "spec/validator.h"

namespace llama::graph {

Graph Graph::build(const spec::PipelineSpec& spec, const spec::OpCatalog& catalog,
                   spec::Diagnostics& diagnostics) {
  Graph g;
  g.nodes_.resize(spec.ops.size());
  for (size_t i = 0; i < spec.ops.size(); ++i) {
    g.nodes_[i].op = &spec.ops[i];
    g.nodes_[i].signature = catalog.find(spec.ops[i].kind);
  }
  for (size_t to = 0; to < spec.ops.size(); ++to) {
    for (const spec::InputRef& in : spec.ops[to].inputs) {
      int from = g.find(in.op);
      if (from < 0 || from == static_cast<int>(to)) continue;  // the validator reports these
      Edge e{from, static_cast<int>(to), spec::ItemKind::frame};
      if (const spec::OpSignature* s = g.nodes_[from].signature) e.kind = s->produces;
      g.nodes_[from].out_edges.push_back(static_cast<int>(g.edges_.size()));
      g.nodes_[to].in_edges.push_back(static_cast<int>(g.edges_.size()));
      g.edges_.push_back(e);
    }
  }

  // Kahn's algorithm, taking ready nodes in spec order so the order is stable.
  std::vector<int> pending(g.nodes_.size());
  for (size_t i = 0; i < g.nodes_.size(); ++i)
    pending[i] = static_cast<int>(g.nodes_[i].in_edges.size());
  std::vector<bool> done(g.nodes_.size(), false);
  for (bool progress = true; progress;) {
    progress = false;
    for (size_t i = 0; i < g.nodes_.size(); ++i) {
      if (done[i] || pending[i] > 0) continue;
      done[i] = true;
      progress = true;
      g.order_.push_back(static_cast<int>(i));
      for (int e : g.nodes_[i].out_edges) --pending[g.edges_[e].to];
    }
  }

  // Whatever is left sits on or behind a cycle; walk back along inputs to name one.
  std::vector<bool> reported(g.nodes_.size(), false);
  for (size_t start = 0; start < g.nodes_.size(); ++start) {
    if (done[start] || reported[start]) continue;
    std::vector<int> walk{static_cast<int>(start)};
    std::vector<int> seen_at(g.nodes_.size(), -1);
    seen_at[start] = 0;
    while (true) {
      int at = walk.back(), next = -1;
      for (int e : g.nodes_[at].in_edges)
        if (!done[g.edges_[e].from]) next = g.edges_[e].from;
      if (next < 0) break;
      if (seen_at[next] >= 0) {
        std::vector<int> cycle(walk.begin() + seen_at[next], walk.end());
        std::reverse(cycle.begin(), cycle.end());  // flow order: producer before consumer
        // Start at the op written first, so the message reads like the file.
        std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
        bool already = false;
        for (int n : cycle) already = already || reported[n];
        if (already) break;
        std::string text;
        for (int n : cycle) {
          text += spec.ops[n].name + " -> ";
          reported[n] = true;
        }
        text += spec.ops[cycle.front()].name;
        // Point at the input that closes the cycle.
        const spec::OpSpec& first = spec.ops[cycle.front()];
        spec::SourceLocation where = first.where;
        for (const spec::InputRef& in : first.inputs)
          if (in.op == spec.ops[cycle.back()].name) where = in.where;
        diagnostics.error(where, "the ops form a cycle: " + text,
                          "a pipeline must flow one way; remove one of these inputs");
        break;
      }
      seen_at[next] = static_cast<int>(walk.size());
      walk.push_back(next);
    }
  }
  return g;
}

std::vector<int> Graph::sources() const {
  std::vector<int> out;
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].in_edges.empty()) out.push_back(static_cast<int>(i));
  return out;
}

std::vector<int> Graph::sinks() const {
  std::vector<int> out;
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].out_edges.empty()) out.push_back(static_cast<int>(i));
  return out;
}

std::vector<std::vector<int>> Graph::source_to_sink_paths() const {
  std::vector<std::vector<int>> paths;
  std::vector<int> path;
  std::function<void(int)> walk = [&](int node) {
    path.push_back(node);
    if (nodes_[node].out_edges.empty()) paths.push_back(path);
    for (int e : nodes_[node].out_edges) walk(edges_[e].to);
    path.pop_back();
  };
  if (order_.size() == nodes_.size())  // a cyclic graph has no finite path set
    for (int s : sources()) walk(s);
  return paths;
}

int Graph::find(const std::string& op_name) const {
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].op->name == op_name) return static_cast<int>(i);
  return -1;
}

namespace {

Pipeline check(spec::PipelineSpec parsed, spec::Diagnostics& diagnostics,
               const spec::OpCatalog& catalog) {
  Pipeline p(std::move(parsed));
  spec::validate_pipeline(p.spec, catalog, diagnostics);
  p.graph = Graph::build(p.spec, catalog, diagnostics);
  diagnostics.throw_if_any();
  return p;
}

}  // namespace

bool runs(const Pipeline& pipeline, int node) {
  const Node& n = pipeline.graph.nodes()[node];
  const std::vector<spec::InputRef>& outputs = pipeline.spec.outputs;
  if (n.signature->produces_items || outputs.empty()) return true;
  return std::any_of(outputs.begin(), outputs.end(),
                     [&](const spec::InputRef& o) { return o.op == n.op->name; });
}

Pipeline load_pipeline(const std::string& path, const spec::OpCatalog& catalog) {
  spec::Diagnostics diagnostics;
  return check(spec::load_pipeline_file(path, diagnostics), diagnostics, catalog);
}

Pipeline load_pipeline_text(const std::string& text, const std::string& file,
                            const spec::OpCatalog& catalog) {
  spec::Diagnostics diagnostics;
  return check(spec::load_pipeline_text(text, file, diagnostics), diagnostics, catalog);
}

}  // namespace llama::graph
