// The benchmark supplier network at scale: a Barabasi-Albert graph
// (engine/testing/generators.h) of `nodes` nodes with `m` suppliers per new node
// (edges from the established supplier to its newer customer, so in-degree m
// and a scale-free out-degree), weights uniform in [1, 10], seed fixed;
// written as the generic CSV format for the daemon to import.
// 100,000 nodes with m = 10 give 999,945 edges.
#ifndef RISKD_BENCH_DAEMON_SCALE_NETWORK_H_
#define RISKD_BENCH_DAEMON_SCALE_NETWORK_H_

#include <cstdint>
#include <string>

namespace riskd::bench {

struct ScaleNetworkFiles {
  std::string nodes_csv;
  std::string edges_csv;
  std::size_t nodes = 0;
  std::size_t edges = 0;
};

// Writes nodes.csv and edges.csv into `dir` (created if needed).
ScaleNetworkFiles WriteScaleNetwork(const std::string& dir, std::size_t nodes, std::size_t m,
                                    std::uint64_t seed = 20261123);

}  // namespace riskd::bench

#endif  // RISKD_BENCH_DAEMON_SCALE_NETWORK_H_
