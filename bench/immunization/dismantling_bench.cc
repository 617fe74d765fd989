// Dismantling benchmark: for Erdos-Renyi (N = 78,125, <k> = 3.5) and
// Barabasi-Albert (N = 78,125, m = 2) graphs, the fraction of nodes each
// static strategy removes before the largest component holds at most 1% of
// N, with and without reinsertion, and how long it took. The published
// figures (CI l=2 and CoreHD with reinsertion) are printed beside ours.
// Then betweenness (exact Brandes) timed against igraph_betweenness on the
// same graph, with the ratio and the largest disagreement.
//
// Usage: dismantling_bench [--seeds S] [--nodes N]
// Output: JSON lines on stdout.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/immunization/betweenness.h"
#include "engine/immunization/testing/dismantling.h"
#include "engine/immunization/testing/graph_generators.h"
#include "engine/testing/igraph_peer.h"

namespace riskd::engine::immunization {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// The size the published figures are for.
constexpr std::size_t kPublishedNodes = 78125;

// Published fraction for (graph, strategy) with reinsertion, or NaN.
double Published(std::string_view graph, Strategy s) {
  if (s == Strategy::kCollectiveInfluence) return graph == "er" ? 0.21 : 0.12;
  if (s == Strategy::kCoreHd) return graph == "er" ? 0.18 : 0.10;
  return std::nan("");
}

void PrintLine(std::string_view graph, std::string_view metric, double value, std::string_view unit,
               Strategy s, const StrategyOptions& o, std::size_t n) {
  std::printf(
      "{\"bench\":\"dismantling\",\"metric\":\"%.*s\",\"value\":%.5f,\"unit\":\"%.*s\","
      "\"graph\":\"%.*s\",\"strategy\":\"%s\",\"adaptive\":%s,\"reinsertion\":%s,"
      "\"n\":%zu,\"seed\":%llu",
      static_cast<int>(metric.size()), metric.data(), value, static_cast<int>(unit.size()),
      unit.data(), static_cast<int>(graph.size()), graph.data(),
      std::string(StrategyName(s)).c_str(), o.adaptive ? "true" : "false",
      o.reinsertion ? "true" : "false", n, static_cast<unsigned long long>(o.seed));
  const double published = o.reinsertion ? Published(graph, s) : std::nan("");
  if (metric == "removed_fraction" && n == kPublishedNodes && !std::isnan(published)) {
    std::printf(",\"published\":%.2f", published);
  }
  std::printf("}\n");
}

void DismantleAll(std::string_view graph, const Network& net, std::uint64_t seed) {
  const auto g = UndirectedGraph::FromNetwork(net, kAllLayers);
  for (Strategy s : AllStrategies()) {
    const bool has_static_variant = s == Strategy::kDegree || s == Strategy::kStrength;
    for (bool adaptive : {false, true}) {
      if (adaptive && !has_static_variant) continue;
      for (bool reinsertion : {false, true}) {
        StrategyOptions o{.seed = seed, .adaptive = adaptive, .reinsertion = reinsertion};
        // Exact betweenness is O(N M): sample 256 sources at this size.
        o.betweenness_pivots = 256;
        const auto start = std::chrono::steady_clock::now();
        auto r = Dismantle(s, net, g, o);
        const double seconds = Seconds(start);
        if (!r.ok()) {
          std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
          std::exit(1);
        }
        PrintLine(graph, "removed_fraction", r->removed_fraction, "fraction", s, o, g.node_count());
        PrintLine(graph, "seconds", seconds, "s", s, o, g.node_count());
        std::fflush(stdout);
      }
    }
  }
}

void BetweennessVersusIgraph(const Network& net) {
  const auto g = UndirectedGraph::FromNetwork(net, kAllLayers);
  auto start = std::chrono::steady_clock::now();
  const auto ours = Betweenness(g, {});
  const double ours_s = Seconds(start);

  const engine::testing::IgraphPeer peer(net);
  start = std::chrono::steady_clock::now();
  const std::vector<double> theirs = peer.Betweenness();
  const double igraph_s = Seconds(start);
  double max_rel_diff = 0;
  for (std::size_t i = 0; i < ours.size(); ++i) {
    max_rel_diff = std::max(max_rel_diff, std::fabs(ours[i] - theirs[i]) / (1 + theirs[i]));
  }

  const std::size_t n = g.node_count(), m = g.edge_count();
  std::printf(
      "{\"bench\":\"betweenness\",\"metric\":\"seconds\",\"value\":%.4f,\"unit\":\"s\","
      "\"impl\":\"riskd\",\"graph\":\"ba\",\"n\":%zu,\"edges\":%zu}\n",
      ours_s, n, m);
  std::printf(
      "{\"bench\":\"betweenness\",\"metric\":\"seconds\",\"value\":%.4f,\"unit\":\"s\","
      "\"impl\":\"igraph\",\"graph\":\"ba\",\"n\":%zu,\"edges\":%zu}\n",
      igraph_s, n, m);
  std::printf(
      "{\"bench\":\"betweenness\",\"metric\":\"speedup_vs_igraph\",\"value\":%.3f,"
      "\"unit\":\"ratio\",\"graph\":\"ba\",\"n\":%zu,\"edges\":%zu}\n",
      igraph_s / ours_s, n, m);
  std::printf(
      "{\"bench\":\"betweenness\",\"metric\":\"max_relative_difference\",\"value\":%.3g,"
      "\"unit\":\"ratio\",\"graph\":\"ba\",\"n\":%zu,\"edges\":%zu}\n",
      max_rel_diff, n, m);
}

int Main(int argc, char** argv) {
  std::uint64_t seeds = 1;
  std::size_t nodes = kPublishedNodes;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--seeds") {
      seeds = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--nodes") {
      nodes = std::strtoull(argv[i + 1], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: %s [--seeds S] [--nodes N]\n", argv[0]);
      return 2;
    }
  }
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    // Mean degree 3.5: M = 3.5 N / 2.
    auto er = ErdosRenyiNetwork(nodes, static_cast<std::size_t>(std::llround(1.75 * nodes)), seed);
    auto ba = BarabasiAlbertNetwork(nodes, 2, seed);
    if (!er.ok() || !ba.ok()) {
      std::fprintf(stderr, "generator failed\n");
      return 1;
    }
    DismantleAll("er", *er, seed);
    DismantleAll("ba", *ba, seed);
  }
  auto small = BarabasiAlbertNetwork(10000, 2, 1);
  BetweennessVersusIgraph(*small);
  return 0;
}

}  // namespace
}  // namespace riskd::engine::immunization

int main(int argc, char** argv) { return riskd::engine::immunization::Main(argc, argv); }
