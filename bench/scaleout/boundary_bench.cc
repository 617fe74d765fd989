// Cross-partition message volume of a partitioned DMP projection on a
// generated 1M-node supplier network (docs/scale-out.md argues the design
// with these numbers).
//
// The projection is the engine's own DMP (the daemon's model, default risk
// type, horizon 30, tolerance 1e-6) run once on the whole network; a
// partitioned run computes exactly the same messages, so counting which of
// them cross a partition boundary gives the traffic a partitioned
// deployment would exchange over NATS subjects, per step:
//   boundary_msgs   (node, remote partition) pairs whose update must be
//                   sent: node k's P_S(t) moved by more than the tolerance
//                   (or k starts infected, at t = 0) and k has out-
//                   neighbours in that partition. On graphs without
//                   reverse arcs (one-way risk types) this is all a
//                   partition needs: it recomputes theta of k's edges into
//                   it from P_S^k, p and q.
//   boundary_edge_msgs  the same per cut edge (graphs with reverse arcs send
//                   one cavity message per edge).
//   active_pairs    partition pairs exchanging anything at that step (one
//                   NATS message each, batched).
// Scenarios: a regional quake (0.5% of the nodes of one region disrupted)
// and a global shock (0.05% of all nodes, anywhere). Partitions: hash,
// region, refined (partition.h); P = 16 (--quick) or 4, 16, 64.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "bench/common/json_line.h"
#include "bench/scaleout/partition.h"
#include "bench/scaleout/supplier_network.h"
#include "engine/dmp.h"
#include "engine/state.h"
#include "engine/transmission.h"
#include "engine/vulnerability.h"

namespace {

using riskd::bench::JsonLine;
using namespace riskd::engine;
using riskd::bench::Partition;

constexpr int kHorizon = 30;
constexpr double kTolerance = 1e-6;
constexpr double kBytesPerUpdate = 16;  // node index, step, P_S (packed)

struct Scenario {
  std::string name;
  std::vector<NodeIndex> sources;
};

struct Projection {
  DmpRegion region;
  std::vector<double> trajectories;  // (T + 1) per touched node
  double seconds = 0;
};

Projection Project(const TransmissionGraph& graph, std::size_t nodes,
                   const std::vector<NodeIndex>& sources) {
  InitialState initial;
  initial.p_s.assign(nodes, 1.0);
  initial.p_i.assign(nodes, 0.0);
  initial.p_r.assign(nodes, 0.0);
  for (const NodeIndex s : sources) {
    initial.p_s[s] = 0;
    initial.p_i[s] = 1;
  }
  DmpWorkspace ws;
  ws.Prepare(graph);
  DmpOptions options;
  options.horizon = kHorizon;
  options.tolerance = kTolerance;
  Projection p;
  const auto t0 = std::chrono::steady_clock::now();
  p.region = RunDmpRegion(graph, initial, sources, options, &ws, &p.trajectories);
  p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return p;
}

struct Traffic {
  std::vector<std::uint64_t> node_msgs, edge_msgs, pairs;  // per step 0..T
};

Traffic Count(const TransmissionGraph& graph, const Projection& proj, const Partition& part) {
  Traffic t;
  t.node_msgs.assign(kHorizon + 1, 0);
  t.edge_msgs.assign(kHorizon + 1, 0);
  t.pairs.assign(kHorizon + 1, 0);
  std::vector<std::set<std::pair<std::uint32_t, std::uint32_t>>> pairs(kHorizon + 1);
  std::vector<std::uint32_t> remote;
  const std::size_t stride = kHorizon + 1;
  for (std::size_t i = 0; i < proj.region.touched_count; ++i) {
    const NodeIndex k = proj.region.nodes[i];
    const double* ps = proj.trajectories.data() + i * stride;
    remote.clear();
    std::uint64_t cut_edges = 0;
    for (const NodeIndex j : graph.successors(k)) {
      const std::uint32_t q = part[j];
      if (q == part[k]) continue;
      ++cut_edges;
      if (std::find(remote.begin(), remote.end(), q) == remote.end()) remote.push_back(q);
    }
    if (remote.empty()) continue;
    for (int s = 0; s <= kHorizon; ++s) {
      // t = 0: a source's initial infection; then every visible change.
      const bool send =
          s == 0 ? ps[0] < 1.0 - kTolerance : std::abs(ps[s] - ps[s - 1]) > kTolerance;
      if (!send) continue;
      t.node_msgs[static_cast<std::size_t>(s)] += remote.size();
      t.edge_msgs[static_cast<std::size_t>(s)] += cut_edges;
      for (const auto q : remote) pairs[static_cast<std::size_t>(s)].emplace(part[k], q);
    }
  }
  for (int s = 0; s <= kHorizon; ++s)
    t.pairs[static_cast<std::size_t>(s)] = pairs[static_cast<std::size_t>(s)].size();
  return t;
}

std::uint64_t Sum(const std::vector<std::uint64_t>& v) {
  std::uint64_t s = 0;
  for (const auto x : v) s += x;
  return s;
}

std::uint64_t Max(const std::vector<std::uint64_t>& v) {
  return *std::max_element(v.begin(), v.end());
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  for (int i = 1; i < argc; ++i) quick |= std::string(argv[i]) == "--quick";
  const std::vector<std::uint32_t> part_counts =
      quick ? std::vector<std::uint32_t>{16} : std::vector<std::uint32_t>{4, 16, 64};
  riskd::bench::SupplierNetworkOptions options;
  const auto t0 = std::chrono::steady_clock::now();
  auto net = riskd::bench::GenerateSupplierNetwork(options);
  const RiskType type;
  const auto vulnerability = ComputeVulnerability(net.network, type.layers, VulnerabilityOptions{});
  TransmissionOptions to;
  to.keep_shares = false;
  const TransmissionGraph graph = BuildTransmissionGraph(net.network, type, vulnerability, to);
  const std::size_t n = net.network.node_slots();
  std::fprintf(stderr, "boundary_bench: %zu nodes, %zu edges, %d regions, built in %.1f s\n", n,
               graph.edge_count(), net.regions,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());

  // Scenarios, with a fixed seed.
  std::mt19937_64 rng(7);
  std::vector<Scenario> scenarios;
  {
    Scenario quake{"regional_quake", {}};
    const int region = 2;  // the third largest region
    for (std::size_t v = 0; v < n; ++v) {
      if (net.region[v] == region && rng() % 200 == 0)
        quake.sources.push_back(static_cast<NodeIndex>(v));
    }
    scenarios.push_back(std::move(quake));
    Scenario shock{"global_shock", {}};
    for (std::size_t v = 0; v < n; ++v) {
      if (rng() % 2000 == 0) shock.sources.push_back(static_cast<NodeIndex>(v));
    }
    scenarios.push_back(std::move(shock));
  }
  std::vector<Projection> projections;
  for (const auto& s : scenarios) {
    projections.push_back(Project(graph, n, s.sources));
    const auto& p = projections.back();
    double expected = 0;
    for (const double r : p.region.risk) expected += r;
    JsonLine("scaleout", "dmp_edge_updates", static_cast<double>(p.region.edge_updates), "updates")
        .Param("scenario", s.name)
        .Param("sources", static_cast<long long>(s.sources.size()))
        .Param("touched_nodes", static_cast<long long>(p.region.touched_count))
        .Param("region_nodes", static_cast<long long>(p.region.nodes.size()))
        .Param("expected_disrupted", expected)
        .Param("dmp_s", p.seconds)
        .Param("nodes", static_cast<long long>(n))
        .Param("edges", static_cast<long long>(graph.edge_count()))
        .Param("horizon", kHorizon)
        .Print();
  }

  const std::vector<NodeIndex> targets = graph.Targets();
  for (const std::uint32_t parts : part_counts) {
    for (const std::string scheme : {"hash", "region", "refined"}) {
      Partition part;
      if (scheme == "hash") {
        part = riskd::bench::HashPartition(net.network, parts);
      } else {
        part = riskd::bench::RegionPartition(net.region, net.regions, parts);
        if (scheme == "refined")
          riskd::bench::RefinePartition(graph.source, targets, parts, 0.05, 5, &part);
      }
      const auto cut = riskd::bench::MeasureCut(graph.source, targets, part, parts);
      JsonLine("scaleout", "cut_edge_fraction",
               static_cast<double>(cut.cut_edges) / static_cast<double>(cut.edges), "fraction")
          .Param("scheme", scheme)
          .Param("partitions", static_cast<int>(parts))
          .Param("cut_edges", static_cast<long long>(cut.cut_edges))
          .Param("imbalance", cut.imbalance)
          .Print();
      for (std::size_t s = 0; s < scenarios.size(); ++s) {
        const Traffic t = Count(graph, projections[s], part);
        const double work = static_cast<double>(projections[s].region.edge_updates);
        JsonLine("scaleout", "boundary_msgs_per_step_max", static_cast<double>(Max(t.node_msgs)),
                 "updates")
            .Param("scenario", scenarios[s].name)
            .Param("scheme", scheme)
            .Param("partitions", static_cast<int>(parts))
            .Param("boundary_msgs_total", static_cast<long long>(Sum(t.node_msgs)))
            .Param("boundary_edge_msgs_total", static_cast<long long>(Sum(t.edge_msgs)))
            .Param("boundary_edge_msgs_per_step_max", static_cast<long long>(Max(t.edge_msgs)))
            .Param("active_pairs_per_step_max", static_cast<long long>(Max(t.pairs)))
            .Param("boundary_bytes_per_step_max",
                   static_cast<double>(Max(t.node_msgs)) * kBytesPerUpdate)
            .Param("msgs_per_edge_update",
                   static_cast<double>(Sum(t.node_msgs)) / std::max(1.0, work))
            .Param("horizon", kHorizon)
            .Print();
      }
    }
  }
  return 0;
}
