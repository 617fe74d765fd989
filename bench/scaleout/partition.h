// Ways to cut a supplier network into P partitions for a partitioned
// projection (docs/scale-out.md), and what a cut costs:
//   hash     node id hash modulo P (what a key-value layout gives for free);
//   region   whole regions per partition, largest first onto the lightest
//            partition (an operations center per geography);
//   refined  region, then balanced label propagation: a node moves to the
//            partition holding most of its neighbours while that partition
//            stays within the balance bound, and partitions over the bound
//            (regions larger than a partition) hand their boundary nodes
//            to partitions under the mean.
#ifndef RISKD_BENCH_SCALEOUT_PARTITION_H_
#define RISKD_BENCH_SCALEOUT_PARTITION_H_

#include <cstdint>
#include <span>
#include <vector>

#include "engine/network.h"

namespace riskd::bench {

using Partition = std::vector<std::uint32_t>;  // partition of each node

Partition HashPartition(const engine::Network& network, std::uint32_t parts);
Partition RegionPartition(std::span<const std::uint16_t> region, int regions, std::uint32_t parts);
// Passes of balanced label propagation over the edges (source[e], target[e])
// with rebalancing: afterwards no partition exceeds (1 + imbalance) * nodes
// / parts.
void RefinePartition(std::span<const engine::NodeIndex> source,
                     std::span<const engine::NodeIndex> target, std::uint32_t parts,
                     double imbalance, int passes, Partition* partition);

struct CutStats {
  std::uint64_t edges = 0;
  std::uint64_t cut_edges = 0;  // endpoints in different partitions
  double imbalance = 0;         // largest partition / mean - 1
};
CutStats MeasureCut(std::span<const engine::NodeIndex> source,
                    std::span<const engine::NodeIndex> target, const Partition& partition,
                    std::uint32_t parts);

}  // namespace riskd::bench

#endif  // RISKD_BENCH_SCALEOUT_PARTITION_H_
