// The pipeline as a DAG: nodes are the spec's ops (same indices), edges carry item kinds
// and `when:` conditions. Gives topological order and the source-to-sink paths that the
// planner's slack computation walks.
#pragma once

#include <string>
#include <vector>

#include "spec/diagnostics.h"
#include "spec/op_signature.h"
#include "spec/pipeline_spec.h"

namespace llama::graph {

struct Edge {
  int from = -1;
  int to = -1;
  spec::ItemKind kind = spec::ItemKind::frame;
};

struct Node {
  const spec::OpSpec* op = nullptr;
  const spec::OpSignature* signature = nullptr;
  std::vector<int> in_edges;  // indices into Graph::edges()
  std::vector<int> out_edges;
};

class Graph {
 public:
  // Adds a diagnostic for every cycle and every edge it cannot make; the graph is only
  // usable when `diagnostics` stays empty. `spec` and `catalog` must outlive the graph.
  static Graph build(const spec::PipelineSpec& spec, const spec::OpCatalog& catalog,
                     spec::Diagnostics& diagnostics);

  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<Edge>& edges() const { return edges_; }
  const std::vector<int>& topological_order() const { return order_; }
  std::vector<int> sources() const;  // nodes without inputs
  std::vector<int> sinks() const;    // nodes without outputs

  // Every path from a source to a sink, as node indices in flow order.
  std::vector<std::vector<int>> source_to_sink_paths() const;

  int find(const std::string& op_name) const;  // -1 when absent

 private:
  std::vector<Node> nodes_;
  std::vector<Edge> edges_;
  std::vector<int> order_;
};

// A checked pipeline: the spec and its graph, or an Error(bad_spec) listing every problem.
// The graph points into spec.ops: a move keeps those pointers valid (vector buffers move
// with it), a copy would not, so there is none.
struct Pipeline {
  explicit Pipeline(spec::PipelineSpec parsed) : spec(std::move(parsed)) {}
  Pipeline(Pipeline&&) = default;
  Pipeline& operator=(Pipeline&&) = default;
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  spec::PipelineSpec spec;
  Graph graph;
};

Pipeline load_pipeline(const std::string& path, const spec::OpCatalog& catalog);

// Whether the node runs: every op does, except a writer (sink, encode) left out of a
// non-empty `outputs:` list. What does not run is never built, profiled or planned.
bool runs(const Pipeline& pipeline, int node);
Pipeline load_pipeline_text(const std::string& text, const std::string& file,
                            const spec::OpCatalog& catalog);

}  // namespace llama::graph
