// Connected components under node removal: what dismantling measures.
//
// DisjointSets is union-find (union by size, path halving). The giant
// component curve is computed backwards: start from the graph with every
// node of the order removed and add them back last-first, so the whole
// curve costs one pass of unions instead of one BFS per prefix.
#ifndef RISKD_ENGINE_IMMUNIZATION_COMPONENTS_H_
#define RISKD_ENGINE_IMMUNIZATION_COMPONENTS_H_

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "engine/immunization/undirected_graph.h"

namespace riskd::engine::immunization {

class DisjointSets {
 public:
  explicit DisjointSets(std::size_t n);
  std::size_t Find(std::size_t x);
  // Merges the sets of a and b; returns the size of the merged set.
  std::size_t Union(std::size_t a, std::size_t b);
  // REQUIRES: x is a root (Find(x) == x)
  std::size_t root_size(std::size_t x) const { return size_[x]; }

 private:
  std::vector<std::size_t> parent_;
  std::vector<std::size_t> size_;
};

// Size of the largest component of the graph without the `removed` nodes,
// by BFS (an independent check of the curve below).
std::size_t LargestComponentWithout(const UndirectedGraph& graph,
                                    std::span<const NodeIndex> removed);

// giant[q] = size of the largest component after removing order[0..q), for
// q = 0..order.size(). Non-increasing in q.
// REQUIRES: order holds distinct present nodes.
std::vector<std::size_t> GiantComponentCurve(const UndirectedGraph& graph,
                                             std::span<const NodeIndex> order);

// The dismantling limit floor(giant_fraction * node_count).
std::size_t MaxGiantSize(double giant_fraction, std::size_t node_count);

// The smallest q with giant[q] <= max_giant, or nullopt if even the whole
// order does not get there.
// REQUIRES: order holds distinct present nodes.
std::optional<std::size_t> DismantlingPoint(const UndirectedGraph& graph,
                                            std::span<const NodeIndex> order,
                                            std::size_t max_giant);

}  // namespace riskd::engine::immunization

#endif  // RISKD_ENGINE_IMMUNIZATION_COMPONENTS_H_
