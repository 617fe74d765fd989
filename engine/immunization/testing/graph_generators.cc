#include "engine/immunization/testing/graph_generators.h"

#include <algorithm>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/immunization/random_keys.h"

namespace riskd::engine::immunization {
namespace {

using EdgeList = std::vector<std::pair<NodeIndex, NodeIndex>>;

Result<Network> BuildNetwork(std::size_t nodes, const EdgeList& edges) {
  Network net;
  for (std::size_t i = 0; i < nodes; ++i) {
    NodeAttributes a;
    a.id = "n";
    a.id += std::to_string(i);  // not "n" + ...: GCC 12 -Wrestrict false positive at -O3
    auto added = net.AddNode(std::move(a));
    if (!added.ok()) return added.status();
  }
  for (const auto& [a, b] : edges) {
    RISKD_RETURN_IF_ERROR(net.AddEdge(std::max(a, b), std::min(a, b), Layer::kMaterial, 1.0));
  }
  net.Compact();
  return net;
}

}  // namespace

Result<Network> ErdosRenyiNetwork(std::size_t nodes, std::size_t edges, std::uint64_t seed) {
  const std::size_t pairs = nodes < 2 ? 0 : nodes * (nodes - 1) / 2;
  if (edges > pairs) {
    return Status::InvalidArgument("G(N, M) needs M <= N(N-1)/2");
  }
  SplitMix64 rng(seed);
  std::unordered_set<std::uint64_t> seen;
  seen.reserve(edges);
  EdgeList list;
  list.reserve(edges);
  while (list.size() < edges) {
    const auto a = static_cast<NodeIndex>(rng.Below(nodes));
    const auto b = static_cast<NodeIndex>(rng.Below(nodes));
    if (a == b) continue;
    const std::uint64_t key = (std::uint64_t{std::min(a, b)} << 32) | std::uint64_t{std::max(a, b)};
    if (!seen.insert(key).second) continue;
    list.emplace_back(a, b);
  }
  return BuildNetwork(nodes, list);
}

Result<Network> BarabasiAlbertNetwork(std::size_t nodes, std::size_t m, std::uint64_t seed) {
  if (m < 1 || nodes < m + 1) {
    return Status::InvalidArgument("Barabasi-Albert needs m >= 1 and N >= m + 1");
  }
  SplitMix64 rng(seed);
  EdgeList list;
  // Every edge end, so a uniform draw from it is degree-proportional.
  std::vector<NodeIndex> ends;
  ends.reserve(2 * m * nodes);
  for (NodeIndex a = 0; a <= m; ++a) {
    for (NodeIndex b = 0; b < a; ++b) {
      list.emplace_back(a, b);
      ends.push_back(a);
      ends.push_back(b);
    }
  }
  std::vector<NodeIndex> targets;
  for (auto v = static_cast<NodeIndex>(m + 1); v < nodes; ++v) {
    targets.clear();
    while (targets.size() < m) {
      const NodeIndex t = ends[rng.Below(ends.size())];
      if (std::find(targets.begin(), targets.end(), t) == targets.end()) targets.push_back(t);
    }
    for (NodeIndex t : targets) {
      list.emplace_back(v, t);
      ends.push_back(v);
      ends.push_back(t);
    }
  }
  return BuildNetwork(nodes, list);
}

}  // namespace riskd::engine::immunization
