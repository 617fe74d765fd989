#include "bench/scaleout/partition.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <string_view>

namespace riskd::bench {

Partition HashPartition(const engine::Network& network, std::uint32_t parts) {
  Partition p(network.node_slots());
  for (engine::NodeIndex v = 0; v < network.node_slots(); ++v) {
    p[v] = static_cast<std::uint32_t>(std::hash<std::string_view>{}(network.id(v)) % parts);
  }
  return p;
}

Partition RegionPartition(std::span<const std::uint16_t> region, int regions, std::uint32_t parts) {
  std::vector<std::uint64_t> size(static_cast<std::size_t>(regions), 0);
  for (const auto r : region) size[r]++;
  std::vector<int> order(static_cast<std::size_t>(regions));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return size[static_cast<std::size_t>(a)] > size[static_cast<std::size_t>(b)];
  });
  std::vector<std::uint64_t> load(parts, 0);
  std::vector<std::uint32_t> home(static_cast<std::size_t>(regions), 0);
  for (const int r : order) {
    const auto lightest =
        static_cast<std::uint32_t>(std::min_element(load.begin(), load.end()) - load.begin());
    home[static_cast<std::size_t>(r)] = lightest;
    load[lightest] += size[static_cast<std::size_t>(r)];
  }
  Partition p(region.size());
  for (std::size_t v = 0; v < region.size(); ++v) p[v] = home[region[v]];
  return p;
}

void RefinePartition(std::span<const engine::NodeIndex> source,
                     std::span<const engine::NodeIndex> target, std::uint32_t parts,
                     double imbalance, int passes, Partition* partition) {
  Partition& p = *partition;
  const std::size_t n = p.size();
  // Undirected adjacency (CSR).
  std::vector<std::uint64_t> offset(n + 1, 0);
  for (std::size_t e = 0; e < source.size(); ++e) {
    offset[source[e] + 1]++;
    offset[target[e] + 1]++;
  }
  for (std::size_t v = 0; v < n; ++v) offset[v + 1] += offset[v];
  std::vector<engine::NodeIndex> adjacent(offset[n]);
  std::vector<std::uint64_t> fill(offset.begin(), offset.end() - 1);
  for (std::size_t e = 0; e < source.size(); ++e) {
    adjacent[fill[source[e]]++] = target[e];
    adjacent[fill[target[e]]++] = source[e];
  }
  std::vector<std::uint64_t> size(parts, 0);
  for (const auto x : p) size[x]++;
  const auto cap = static_cast<std::uint64_t>((1.0 + imbalance) * static_cast<double>(n) / parts);
  const auto mean = static_cast<std::uint64_t>(static_cast<double>(n) / parts);
  std::vector<std::uint32_t> count(parts, 0);
  std::vector<std::uint32_t> seen;
  auto move = [&](std::size_t v, std::uint32_t to) {
    size[p[v]]--;
    size[to]++;
    p[v] = to;
  };
  // Counts v's neighbours per partition into count[] (seen lists them).
  auto tally = [&](std::size_t v) {
    for (const auto q : seen) count[q] = 0;
    seen.clear();
    for (std::uint64_t i = offset[v]; i < offset[v + 1]; ++i) {
      const std::uint32_t q = p[adjacent[i]];
      if (count[q]++ == 0) seen.push_back(q);
    }
  };
  for (int pass = 0; pass < passes; ++pass) {
    std::size_t moved = 0;
    // Label propagation within the bound.
    for (std::size_t v = 0; v < n; ++v) {
      tally(v);
      std::uint32_t best = p[v];
      for (const auto q : seen) {
        if (count[q] > count[best] && size[q] < cap) best = q;
      }
      if (best != p[v]) {
        move(v, best);
        ++moved;
      }
    }
    // Rebalancing: partitions over the bound (a region larger than a
    // partition) hand nodes to partitions under the mean, boundary nodes
    // first (to where their neighbours are), then any.
    for (int sweep = 0; sweep < 2; ++sweep) {
      for (std::size_t v = 0; v < n; ++v) {
        if (size[p[v]] <= cap) continue;
        tally(v);
        std::uint32_t best = p[v];
        for (const auto q : seen) {
          if (size[q] < mean && (best == p[v] || count[q] > count[best])) best = q;
        }
        if (best == p[v] && sweep == 1) {
          best =
              static_cast<std::uint32_t>(std::min_element(size.begin(), size.end()) - size.begin());
        }
        if (best != p[v]) {
          move(v, best);
          ++moved;
        }
      }
    }
    if (moved == 0) break;
  }
}

CutStats MeasureCut(std::span<const engine::NodeIndex> source,
                    std::span<const engine::NodeIndex> target, const Partition& partition,
                    std::uint32_t parts) {
  CutStats c;
  c.edges = source.size();
  for (std::size_t e = 0; e < source.size(); ++e)
    c.cut_edges += partition[source[e]] != partition[target[e]];
  std::vector<std::uint64_t> size(parts, 0);
  for (const auto x : partition) size[x]++;
  const double mean = static_cast<double>(partition.size()) / parts;
  c.imbalance = static_cast<double>(*std::max_element(size.begin(), size.end())) / mean - 1.0;
  return c;
}

}  // namespace riskd::bench
