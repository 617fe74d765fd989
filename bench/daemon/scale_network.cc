#include "bench/daemon/scale_network.h"

#include <cstdio>
#include <filesystem>

#include "engine/testing/generators.h"

namespace riskd::bench {

ScaleNetworkFiles WriteScaleNetwork(const std::string& dir, std::size_t nodes, std::size_t m,
                                    std::uint64_t seed) {
  std::filesystem::create_directories(dir);
  engine::GeneratorOptions options;
  options.seed = seed;
  options.min_weight = 1;
  options.max_weight = 10;
  const engine::Network net = engine::BarabasiAlbert(nodes, m, options);
  ScaleNetworkFiles files{dir + "/nodes.csv", dir + "/edges.csv", net.node_count(),
                          net.edge_count()};
  FILE* n = std::fopen(files.nodes_csv.c_str(), "w");
  std::fprintf(n, "id\n");
  for (engine::NodeIndex v = 0; v < net.node_slots(); ++v)
    std::fprintf(n, "%s\n", std::string(net.id(v)).c_str());
  std::fclose(n);
  FILE* e = std::fopen(files.edges_csv.c_str(), "w");
  std::fprintf(e, "from,to,weight\n");
  for (const engine::Edge& edge : net.Edges()) {
    std::fprintf(e, "%s,%s,%.6g\n", std::string(net.id(edge.from)).c_str(),
                 std::string(net.id(edge.to)).c_str(), edge.weight);
  }
  std::fclose(e);
  return files;
}

}  // namespace riskd::bench
