#include "engine/incremental_dmp.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "engine/engine.h"
#include "engine/projection.h"
#include "engine/testing/generators.h"
#include "engine/testing/graphs.h"
#include "engine/testing/random_changes.h"
#include "engine/testing/real_networks.h"
#include "engine/testing/timed_states.h"

namespace riskd::engine {
namespace {

ProjectionOptions DmpOnly() {
  ProjectionOptions o;
  o.method = ProjectionOptions::Choice::kDmp;
  return o;
}

// The incremental projection against a full recompute of the same state and
// against RunDmp on the whole graph.
void ExpectSameAsFull(const TransmissionGraph& g, const InitialState& init, const DmpOptions& d,
                      const Projection& a) {
  Projector fresh(d, DmpOnly());
  ProjectionWorkspace ws;
  fresh.Full(g, init, &ws);
  const Projection& b = fresh.projection();
  const DmpResult dmp = RunDmp<ProjectionMessage>(g, init, d);
  ASSERT_EQ(a.risk.size(), b.risk.size());
  for (std::size_t v = 0; v < a.risk.size(); ++v) {
    ASSERT_NEAR(a.risk[v], b.risk[v], 1e-9) << "node " << v;
    ASSERT_NEAR(a.risk[v], v < dmp.risk.size() ? dmp.risk[v] : 0.0, 1e-9) << "node " << v;
    ASSERT_EQ(a.eta[v], b.eta[v]) << "node " << v;
    ASSERT_EQ(a.parent[v], b.parent[v]) << "node " << v;
    ASSERT_EQ(a.node_method[v], b.node_method[v]) << "node " << v;
  }
  EXPECT_NEAR(a.expected_disrupted, b.expected_disrupted, 1e-9);
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.disrupted_p05, b.disrupted_p05);
  EXPECT_EQ(a.disrupted_p95, b.disrupted_p95);
  ASSERT_EQ(a.regions.size(), b.regions.size());
  for (std::size_t r = 0; r < a.regions.size(); ++r) {
    EXPECT_EQ(a.regions[r].first_source, b.regions[r].first_source) << "region " << r;
    EXPECT_EQ(a.regions[r].sources, b.regions[r].sources) << "region " << r;
    EXPECT_EQ(a.regions[r].nodes, b.regions[r].nodes) << "region " << r;
    EXPECT_EQ(a.regions[r].method, b.regions[r].method) << "region " << r;
  }
}

InitialState AllSusceptible(std::size_t n) {
  InitialState s;
  s.p_s.assign(n, 1.0);
  s.p_i.assign(n, 0.0);
  s.p_r.assign(n, 0.0);
  return s;
}

// Random state changes straight on a Projector, on a random directed graph
// with cycles and onset delays (some beyond the horizon), for tolerances
// that make nodes cross the propagation line often (1e-3) or never (0).
TEST(IncrementalDmpTest, EqualsFullRunUnderStateChangesOnCyclicGraph) {
  Network net = testing::RandomGraph(400, 720, 5);
  TransmissionGraph g = testing::BuildGraph(net, Direction::kDownstream, 1.2, 0.3);
  ASSERT_FALSE(g.has_reverse);
  std::mt19937_64 rng(9);
  for (auto& latency : g.latency)
    latency = rng() % 3 == 0 ? static_cast<std::uint16_t>(rng() % 14) : 0;
  g.has_latency = true;
  for (double tolerance : {0.0, 1e-9, 1e-3}) {
    SCOPED_TRACE("tolerance " + std::to_string(tolerance));
    DmpOptions d;
    d.horizon = 10;
    d.tolerance = tolerance;
    Projector projector(d, DmpOnly());
    ProjectionWorkspace ws;
    InitialState init = AllSusceptible(g.node_count);
    for (NodeIndex v : {3u, 77u, 201u}) {
      init.p_s[v] = 0;
      init.p_i[v] = 1;
    }
    projector.Full(g, init, &ws);
    int incremental = 0;
    for (int step = 0; step < 80; ++step) {
      std::vector<NodeIndex> changed;
      const int batch = 1 + static_cast<int>(rng() % 3);
      for (int b = 0; b < batch; ++b) {
        const auto v = static_cast<NodeIndex>(rng() % g.node_count);
        changed.push_back(v);
        const double x = 0.1 + 0.9 * static_cast<double>(rng() % 1000) / 1000.0;
        switch (rng() % 5) {
          case 0:
          case 1:  // disrupted with severity x
            init.p_i[v] = x;
            init.p_s[v] = 1 - x;
            init.p_r[v] = 0;
            break;
          case 2:  // recovered or immunized
            init.p_i[v] = init.p_s[v] = 0;
            init.p_r[v] = 1;
            break;
          case 3:  // susceptible again
            init.p_i[v] = init.p_r[v] = 0;
            init.p_s[v] = 1;
            break;
          case 4:  // partly protected
            init.p_i[v] = 0;
            init.p_r[v] = x;
            init.p_s[v] = 1 - x;
            break;
        }
      }
      projector.Update(g, init, changed, &ws);
      incremental += projector.projection().incremental_dmp;
      SCOPED_TRACE("step " + std::to_string(step));
      ExpectSameAsFull(g, init, d, projector.projection());
      if (HasFatalFailure()) return;
    }
    EXPECT_EQ(incremental, 80);
  }
}

// The same with the times of the model clock changing too: sources starting
// at different steps (some with a fixed period), shields, removals.
TEST(IncrementalDmpTest, EqualsFullRunUnderTimedStateChanges) {
  Network net = testing::RandomGraph(400, 720, 7);
  TransmissionGraph g = testing::BuildGraph(net, Direction::kDownstream, 1.2, 0.3);
  std::mt19937_64 rng(11);
  for (auto& latency : g.latency)
    latency = rng() % 4 == 0 ? static_cast<std::uint16_t>(rng() % 5) : 0;
  g.has_latency = true;
  const int now = 6;
  for (double tolerance : {0.0, 1e-9, 1e-3}) {
    SCOPED_TRACE("tolerance " + std::to_string(tolerance));
    DmpOptions d;
    d.horizon = 8;
    d.tolerance = tolerance;
    Projector projector(d, DmpOnly());
    ProjectionWorkspace ws;
    InitialState init = AllSusceptible(g.node_count);
    for (NodeIndex v : {3u, 77u, 201u, 350u}) {
      init.p_s[v] = 0.2;
      init.p_i[v] = 0.8;
    }
    testing::AddRandomTimes(&init, now, d.horizon, 5);
    projector.Full(g, init, &ws);
    for (int step = 0; step < 80; ++step) {
      std::vector<NodeIndex> changed;
      for (int b = 0; b < 1 + static_cast<int>(rng() % 3); ++b) {
        const auto v = static_cast<NodeIndex>(rng() % g.node_count);
        changed.push_back(v);
        const int at = static_cast<int>(rng() % (now + 1));
        init.start[v] = 0;
        init.end[v] = InitialState::kNever;
        init.fixed[v] = 0;
        init.p_s[v] = 1;
        init.p_i[v] = init.p_r[v] = 0;
        switch (rng() % 4) {
          case 0:  // disrupted from `at`
            init.start[v] = at;
            init.p_i[v] = 0.5;
            init.p_s[v] = 0.5;
            break;
          case 1:  // disrupted from `at` for a known time
            init.start[v] = at;
            init.p_i[v] = 1;
            init.p_s[v] = 0;
            init.end[v] = at + 1 + static_cast<int>(rng() % 8);
            init.fixed[v] = 1;
            break;
          case 2:  // reported normal at `at`
            init.start[v] = at;
            break;
          case 3:  // recovered at `at` + 1
            init.end[v] = at + 1;
            break;
        }
      }
      projector.Update(g, init, changed, &ws);
      ASSERT_TRUE(projector.projection().incremental_dmp);
      SCOPED_TRACE("step " + std::to_string(step));
      ExpectSameAsFull(g, init, d, projector.projection());
      if (HasFatalFailure()) return;
    }
  }
}

// Whether `network` has a two-way pair (u -> v and v -> u in any layers).
bool HasTwoWayPair(const Network& n, NodeIndex u, NodeIndex v) {
  return n.FindEdge(v, u, Layer::kMaterial) || n.FindEdge(v, u, Layer::kData);
}

// Removes one edge of every two-way pair, so that one-way risk types have
// no reverse edges (the incremental path's domain).
Network OneWay(Network net) {
  std::vector<std::tuple<std::string, std::string, Layer>> drop;
  for (NodeIndex u = 0; u < net.node_slots(); ++u) {
    if (!net.alive(u)) continue;
    for (EdgeIndex e = net.out_begin(u); e < net.out_end(u); ++e) {
      const NodeIndex v = net.edge_target(e);
      if (u < v && HasTwoWayPair(net, u, v)) {
        drop.emplace_back(net.node(u).id, net.node(v).id, net.edge_layer(e));
      }
    }
  }
  for (const auto& [from, to, layer] : drop) (void)net.RemoveEdge(from, to, layer);
  net.Compact();
  return net;
}

struct ChangeStats {
  int updates = 0;  // projections that were not full recomputes
  int incremental = 0;
  std::size_t recomputed = 0;
  std::size_t region_nodes = 0;
};

// Random events of every kind through the Engine (Choice::kDmp, one
// downstream-or-upstream type and an upstream type on two layers), each
// projection compared with a full recompute. Edges are only added where
// they make no two-way pair, so the graphs keep no reverse edges and every
// update after the first projection may take the incremental path.
ChangeStats RunRandomChanges(Network net, Direction direction, std::uint64_t seed, int steps,
                             bool clock = false) {
  EngineOptions o;
  o.risk_types[0].alpha = 1.5;
  o.risk_types[0].beta = 0.4;
  o.risk_types[0].direction = direction;
  RiskType data;
  data.name = "leak";
  data.layers = LayerBit(Layer::kData) | LayerBit(Layer::kMaterial);
  data.direction = Direction::kUpstream;
  data.alpha = 2.0;
  data.inventory_delays_onset = false;
  o.risk_types.push_back(data);
  o.dmp.horizon = 12;
  o.projection = DmpOnly();
  o.vulnerability_refresh_changes = 100000;
  o.clock.history_window_steps = 8;
  auto created = Engine::Create(o, std::move(net));
  EXPECT_TRUE(created.ok());
  Engine& engine = **created;
  if (clock) {
    EXPECT_TRUE(engine.AdvanceClock(100).ok());
  }
  testing::RandomChanges changes({.seed = seed, .one_way = true, .clock = clock});
  ChangeStats stats;
  for (int step = 0; step < steps; ++step) {
    changes.ApplyBatch(engine);
    const std::vector<int> projected = engine.Project(static_cast<std::uint64_t>(step));
    for (int r : projected) {
      const RiskTypeState& s = engine.risk_state(r);
      const TransmissionGraph& g = *engine.Graph(r);
      EXPECT_FALSE(g.has_reverse);
      SCOPED_TRACE("step " + std::to_string(step) + " type " + std::to_string(r));
      ExpectSameAsFull(g, s.initial(), o.dmp, s.projection());
      if (::testing::Test::HasFatalFailure()) return stats;
      if (s.projection().full) continue;  // the first one, after ticks, ...
      ++stats.updates;
      stats.incremental += s.projection().incremental_dmp;
      stats.recomputed += s.projection().recomputed_nodes;
      for (const auto& reg : s.projection().regions) stats.region_nodes += reg.nodes;
    }
  }
  return stats;
}

TEST(IncrementalDmpTest, EqualsFullRecomputeAfterEveryChangeTypeOnCyclicGraphs) {
  for (std::uint64_t seed : {1, 2}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    // About 1.8 edges per node with random directions: many directed cycles.
    const ChangeStats stats = RunRandomChanges(testing::RandomGraph(300, 540, 40 + seed),
                                               Direction::kDownstream, seed, 60);
    EXPECT_EQ(stats.incremental, stats.updates);
  }
}

// On the model clock: onset steps, durations, recoveries at their steps,
// ticks (a new frame: a full recompute, then incremental again).
TEST(IncrementalDmpTest, EqualsFullRecomputeOnTheClock) {
  for (std::uint64_t seed : {3, 4}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const ChangeStats stats = RunRandomChanges(testing::RandomGraph(300, 540, 50 + seed),
                                               Direction::kDownstream, seed, 80, true);
    EXPECT_GT(stats.updates, 20);
    EXPECT_EQ(stats.incremental, stats.updates);
  }
}

TEST(IncrementalDmpTest, EqualsFullRecomputeOnRealNetworks) {
  for (const char* name : {"willems_20", "supplygraph"}) {
    auto real = testing::LoadRealNetwork(name);
    ASSERT_TRUE(real.ok()) << real.status().ToString();
    SCOPED_TRACE(name);
    // The incremental path needs one-way spread: supplygraph's natural
    // direction is both ways, so its downstream half is used.
    const Direction direction =
        real->direction == Direction::kBoth ? Direction::kDownstream : real->direction;
    const ChangeStats stats = RunRandomChanges(OneWay(std::move(real->network)), direction, 3, 30);
    // The engine recomputes fully past a quarter of the nodes changed, which
    // small networks (supplygraph) sometimes reach.
    EXPECT_GT(stats.incremental * 4, stats.updates * 3);
  }
}

// One new disruption beside existing ones on a scale-free network where all
// sources form one region: the update recomputes a small part of it.
TEST(IncrementalDmpTest, NewDisruptionRecomputesAFewNodesOfTheRegion) {
  const Network net = BarabasiAlbert(5000, 4, {.seed = 4});
  const TransmissionGraph g = testing::BuildGraph(net, Direction::kDownstream, 0.4, 0.3);
  ASSERT_FALSE(g.has_reverse);
  DmpOptions d;
  d.horizon = 30;
  Projector projector(d, DmpOnly());
  ProjectionWorkspace ws;
  InitialState init = AllSusceptible(g.node_count);
  for (NodeIndex v : {0u, 1u, 2u, 3u, 10u, 50u}) {
    init.p_s[v] = 0;
    init.p_i[v] = 1;
  }
  projector.Full(g, init, &ws);
  ASSERT_EQ(projector.projection().regions.size(), 1u);
  const std::size_t region_nodes = projector.projection().regions[0].nodes;
  for (NodeIndex v : {4000u, 2500u, 1234u}) {
    init.p_s[v] = 0;
    init.p_i[v] = 1;
    projector.Update(g, init, {&v, 1}, &ws);
    const Projection& p = projector.projection();
    EXPECT_TRUE(p.incremental_dmp);
    EXPECT_LT(p.recomputed_nodes * 20, region_nodes) << "new source " << v;
    ExpectSameAsFull(g, init, d, p);
  }
  EXPECT_GT(projector.IncrementalMemoryBytes(), 0u);
}

// A new source upstream of most of the region changes too much for the
// incremental path: the region is recomputed, and the trajectories stay
// right for the incremental updates after it.
TEST(IncrementalDmpTest, BigChangesRecomputeTheRegionAndKeepTheTrajectories) {
  const Network net = BarabasiAlbert(3000, 4, {.seed = 5});
  const TransmissionGraph g = testing::BuildGraph(net, Direction::kDownstream, 0.8, 0.3);
  DmpOptions d;
  d.horizon = 20;
  ProjectionOptions o = DmpOnly();
  o.incremental_min_edges = 0;  // a quarter of this small graph's edges
  Projector projector(d, o);
  ProjectionWorkspace ws;
  InitialState init = AllSusceptible(g.node_count);
  init.p_s[2000] = 0;
  init.p_i[2000] = 1;
  projector.Full(g, init, &ws);
  int incremental = 0, recomputed = 0;
  // Hubs (the oldest nodes supply most others), then young nodes.
  for (NodeIndex v : {0u, 2999u, 1u, 2500u, 1500u, 5u, 2800u}) {
    init.p_s[v] = 0;
    init.p_i[v] = 1;
    projector.Update(g, init, {&v, 1}, &ws);
    (projector.projection().incremental_dmp ? incremental : recomputed)++;
    SCOPED_TRACE("new source " + std::to_string(v));
    ExpectSameAsFull(g, init, d, projector.projection());
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(recomputed, 0);
  EXPECT_GT(incremental, 0);
}

// Choice::kAuto keeps the region recompute; Choice::kDmp is incremental on
// one-way and two-way graphs alike.
TEST(IncrementalDmpTest, OtherMethodsRecomputeRegionsDmpIsIncrementalBothWays) {
  const Network net = testing::RandomGraph(200, 300, 6);
  for (Direction direction : {Direction::kDownstream, Direction::kBoth}) {
    const TransmissionGraph g = testing::BuildGraph(net, direction, 1.0, 0.3);
    for (auto choice : {ProjectionOptions::Choice::kAuto, ProjectionOptions::Choice::kDmp}) {
      ProjectionOptions o;
      o.method = choice;
      o.check_realizations = 50;
      o.serve_realizations = 100;
      o.min_realizations = 50;
      Projector projector(DmpOptions{}, o);
      ProjectionWorkspace ws;
      InitialState init = AllSusceptible(g.node_count);
      init.p_s[0] = 0;
      init.p_i[0] = 1;
      projector.Full(g, init, &ws);
      const NodeIndex v = 100;
      init.p_s[v] = 0;
      init.p_i[v] = 1;
      projector.Update(g, init, {&v, 1}, &ws);
      EXPECT_EQ(g.has_reverse, direction == Direction::kBoth);
      const bool fast = choice == ProjectionOptions::Choice::kDmp;
      EXPECT_EQ(projector.projection().incremental_dmp, fast);
      EXPECT_EQ(projector.IncrementalMemoryBytes() > 0, fast);
    }
  }
}

// --- Two-way graphs (reverse edges): the cavity of k -> i divides by
// theta_{i->k}, which the update replays from the stored trajectories.

// `net` with the reverse of about one edge in `share` added (two-way
// supplier pairs), weights drawn anew.
Network WithTwoWayPairs(Network net, int share, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::pair<NodeIndex, NodeIndex>> add;
  for (NodeIndex u = 0; u < net.node_slots(); ++u) {
    for (EdgeIndex e = net.out_begin(u); e < net.out_end(u); ++e) {
      if (rng() % static_cast<std::uint64_t>(share) == 0) add.emplace_back(net.edge_target(e), u);
    }
  }
  for (const auto& [from, to] : add) {
    EXPECT_TRUE(
        net.AddEdge(from, to, Layer::kMaterial, 0.5 + 0.1 * static_cast<double>(rng() % 15)).ok());
  }
  net.Compact();
  return net;
}

// Every update's trajectories and published values against RunDmpRegion
// from all sources on the same state and the same message storage, bit for
// bit: the touched set, each touched node's trajectory, and risk, ETA and
// parent of every node (the update's list applied to the values published
// before).
template <typename Stored>
class ExactCheck {
 public:
  ExactCheck(const DmpOptions& d, std::size_t n)
      : d_(d), risk_(n, 0.0), eta_(n, -1), parent_(n, kNoNode) {}

  DmpRegion Fresh(const TransmissionGraph& g, const InitialState& init,
                  std::vector<double>* trajectories) {
    std::vector<NodeIndex> sources;
    for (NodeIndex v = 0; v < g.node_count; ++v) {
      if (init.p_i[v] > 0) sources.push_back(v);
    }
    ws_.Prepare(g);
    return RunDmpRegion(g, init, sources, d_, &ws_, trajectories);
  }
  void Publish(const DmpRegion& run) {
    std::fill(risk_.begin(), risk_.end(), 0.0);
    std::fill(eta_.begin(), eta_.end(), -1);
    std::fill(parent_.begin(), parent_.end(), kNoNode);
    for (std::size_t x = 0; x < run.nodes.size(); ++x) {
      risk_[run.nodes[x]] = run.risk[x];
      eta_[run.nodes[x]] = run.eta[x];
      parent_[run.nodes[x]] = run.parent[x];
    }
  }
  void Apply(const std::vector<IncrementalDmpNode>& out) {
    for (const IncrementalDmpNode& n : out) {
      risk_[n.node] = n.in_frontier ? n.risk : 0.0;
      eta_[n.node] = n.in_frontier ? n.eta : -1;
      parent_[n.node] = n.in_frontier ? n.parent : kNoNode;
    }
  }
  void Expect(const TransmissionGraph& g, const InitialState& init,
              const BasicIncrementalDmp<Stored>& inc) {
    std::vector<double> trajectories;
    const DmpRegion run = Fresh(g, init, &trajectories);
    const std::size_t stride = static_cast<std::size_t>(init.now + d_.horizon) + 1;
    ASSERT_EQ(inc.touched_count(), run.touched_count);
    for (std::size_t x = 0; x < run.touched_count; ++x) {
      const NodeIndex v = run.nodes[x];
      const std::span<const double> kept = inc.trajectory(v);
      ASSERT_EQ(kept.size(), stride) << "node " << v << " not touched";
      for (std::size_t t = 0; t < stride; ++t) {
        ASSERT_EQ(kept[t], trajectories[x * stride + t]) << "node " << v << " step " << t;
      }
    }
    std::vector<double> risk(risk_.size(), 0.0);
    std::vector<int> eta(risk_.size(), -1);
    std::vector<NodeIndex> parent(risk_.size(), kNoNode);
    for (std::size_t x = 0; x < run.nodes.size(); ++x) {
      risk[run.nodes[x]] = run.risk[x];
      eta[run.nodes[x]] = run.eta[x];
      parent[run.nodes[x]] = run.parent[x];
    }
    for (std::size_t v = 0; v < risk.size(); ++v) {
      ASSERT_EQ(risk_[v], risk[v]) << "node " << v;
      ASSERT_EQ(eta_[v], eta[v]) << "node " << v;
      ASSERT_EQ(parent_[v], parent[v]) << "node " << v;
    }
  }

 private:
  DmpOptions d_;
  BasicDmpWorkspace<Stored> ws_;
  std::vector<double> risk_;
  std::vector<int> eta_;
  std::vector<NodeIndex> parent_;
};

struct BitForBitCase {
  const char* name;
  Network net;
  Direction direction;
};

// Cyclic graphs where every edge has a reverse (a both-directions risk
// type) or about a third do (two-way supplier pairs under a downstream type).
std::vector<BitForBitCase> TwoWayCases() {
  std::vector<BitForBitCase> cases;
  cases.push_back({"both directions", testing::RandomGraph(250, 450, 61), Direction::kBoth});
  cases.push_back({"two-way pairs", WithTwoWayPairs(testing::RandomGraph(300, 540, 62), 3, 63),
                   Direction::kDownstream});
  return cases;
}

// Random sequences of changes straight on BasicIncrementalDmp<Stored>, on
// the case's graph with onset delays and the model clock: new sources (some
// of a known duration), recoveries, shields (reported normal at a step),
// partial protection, and edge reweights (p of an edge, and often of its
// reverse). Tolerances make nodes cross the propagation line often (1e-3)
// or never (0).
template <typename Stored>
void ExpectUpdatesEqualRunDmpRegionBitForBit(const BitForBitCase& c) {
  TransmissionGraph g = testing::BuildGraph(c.net, c.direction, 1.4, 0.3);
  std::mt19937_64 rng(17);
  for (auto& latency : g.latency)
    latency = rng() % 4 == 0 ? static_cast<std::uint16_t>(rng() % 5) : 0;
  g.has_latency = true;
  if (g.has_reverse) {
    std::size_t pairs = 0;
    for (EdgeIndex e = 0; e < g.edge_count(); ++e) pairs += g.reverse[e] != kNoEdge;
    EXPECT_GT(pairs * 4, g.edge_count()) << c.name;
  }
  const int now = 5;
  for (double tolerance : {0.0, 1e-9, 1e-3}) {
    SCOPED_TRACE(std::string(c.name) + ", tolerance " + std::to_string(tolerance));
    DmpOptions d;
    d.horizon = 8;
    d.tolerance = tolerance;
    InitialState init = AllSusceptible(g.node_count);
    for (NodeIndex v : {3u, 77u, 201u}) {
      init.p_s[v] = 0.3;
      init.p_i[v] = 0.7;
    }
    testing::AddRandomTimes(&init, now, d.horizon, 19);
    BasicIncrementalDmp<Stored> inc(d);
    inc.SetFrame(now);
    ExactCheck<Stored> check(d, g.node_count);
    std::vector<double> trajectories;
    const DmpRegion first = check.Fresh(g, init, &trajectories);
    inc.Store(first, std::move(trajectories));
    check.Publish(first);
    std::size_t recomputed = 0;
    for (int step = 0; step < 60; ++step) {
      std::vector<NodeIndex> changed;
      for (int b = 0; b < 1 + static_cast<int>(rng() % 3); ++b) {
        const auto v = static_cast<NodeIndex>(rng() % g.node_count);
        changed.push_back(v);
        const int at = static_cast<int>(rng() % (now + 1));
        const double x = 0.1 + 0.9 * static_cast<double>(rng() % 1000) / 1000.0;
        switch (rng() % 7) {
          case 0:
          case 1:  // disrupted from `at`
            init.start[v] = at;
            init.end[v] = InitialState::kNever;
            init.fixed[v] = 0;
            init.p_i[v] = x;
            init.p_s[v] = 1 - x;
            init.p_r[v] = 0;
            break;
          case 2:  // disrupted from `at` for a known time
            init.start[v] = at;
            init.end[v] = at + 1 + static_cast<int>(rng() % 8);
            init.fixed[v] = 1;
            init.p_i[v] = 1;
            init.p_s[v] = init.p_r[v] = 0;
            break;
          case 3:  // reported normal at `at` (shielded until then)
            init.start[v] = at;
            init.end[v] = InitialState::kNever;
            init.fixed[v] = 0;
            init.p_s[v] = 1;
            init.p_i[v] = init.p_r[v] = 0;
            break;
          case 4:  // recovered at `at` + 1
            init.end[v] = at + 1;
            init.fixed[v] = 0;
            break;
          case 5:  // partly protected
            init.p_i[v] = 0;
            init.p_r[v] = x;
            init.p_s[v] = 1 - x;
            break;
          case 6: {  // an edge reweighted: p of it, and often of its reverse
            if (g.in_begin(v) == g.in_end(v)) break;
            const EdgeIndex e =
                g.in_begin(v) + static_cast<EdgeIndex>(rng() % (g.in_end(v) - g.in_begin(v)));
            g.p[e] = 0.05 + 0.9 * static_cast<double>(rng() % 1000) / 1000.0;
            changed.push_back(g.source[e]);
            if (g.has_reverse && g.reverse[e] != kNoEdge && rng() % 2 == 0)
              g.p[g.reverse[e]] = g.p[e] / 2;
            break;
          }
        }
      }
      std::vector<IncrementalDmpNode> out;
      SCOPED_TRACE("step " + std::to_string(step));
      ASSERT_TRUE(inc.Update(g, init, changed, std::size_t{1} << 32, &out));  // no limit
      recomputed += out.size();
      check.Apply(out);
      check.Expect(g, init, inc);
      if (::testing::Test::HasFatalFailure()) return;
    }
    EXPECT_GT(recomputed, 0u);
  }
}

TEST(IncrementalDmpTest, TwoWayEqualsRunDmpRegionBitForBit) {
  for (const BitForBitCase& c : TwoWayCases()) {
    ASSERT_TRUE(testing::BuildGraph(c.net, c.direction, 1.4, 0.3).has_reverse) << c.name;
    ExpectUpdatesEqualRunDmpRegionBitForBit<double>(c);
    if (HasFatalFailure()) return;
  }
}

// The projections' storage: messages rounded to float where dmp.cc rounds
// them, in the update as in the full run.
TEST(IncrementalDmpTest, TwoWayEqualsRunDmpRegionBitForBitWithFloatMessages) {
  for (const BitForBitCase& c : TwoWayCases()) {
    ExpectUpdatesEqualRunDmpRegionBitForBit<float>(c);
    if (HasFatalFailure()) return;
  }
}

// One-way graphs (no reverse edges: the fused step of dmp.cc), both
// storages.
TEST(IncrementalDmpTest, OneWayEqualsRunDmpRegionBitForBit) {
  const BitForBitCase c{"one way", OneWay(testing::RandomGraph(300, 540, 64)),
                        Direction::kDownstream};
  ASSERT_FALSE(testing::BuildGraph(c.net, c.direction, 1.4, 0.3).has_reverse);
  ExpectUpdatesEqualRunDmpRegionBitForBit<double>(c);
  if (HasFatalFailure()) return;
  ExpectUpdatesEqualRunDmpRegionBitForBit<float>(c);
}

// Where a two-way edge has p = 1 and surely passed, dmp.cc divides by no
// theta but takes the explicit product over the other in-edges, which the
// stored trajectories do not give: the update gives up, changing nothing,
// and the projector recomputes the regions (same values as a full run).
TEST(IncrementalDmpTest, TwoWayExplicitCavityFallsBackToTheRegionRecompute) {
  // A path 0 - 1 - 2 - 3 - 4 both ways, then a second source at 4.
  const Network net = testing::MakeNetwork(5, {{0, 1, 1.0}, {1, 2, 1.0}, {2, 3, 1.0}, {3, 4, 1.0}});
  TransmissionGraph g = testing::BuildGraph(net, Direction::kBoth, 1.0, 0.3);
  ASSERT_TRUE(g.has_reverse);
  for (double& p : g.p) p = 1.0;
  DmpOptions d;
  d.horizon = 6;
  InitialState init = AllSusceptible(g.node_count);
  init.p_s[0] = 0;
  init.p_i[0] = 1;
  Projector projector(d, DmpOnly());
  ProjectionWorkspace ws;
  projector.Full(g, init, &ws);
  EXPECT_GT(projector.projection().risk[2], 0.99);
  const NodeIndex v = 4;
  init.p_s[v] = 0;
  init.p_i[v] = 1;
  projector.Update(g, init, {&v, 1}, &ws);
  EXPECT_FALSE(projector.projection().incremental_dmp);
  ExpectSameAsFull(g, init, d, projector.projection());
}

// Random events of every kind through the Engine on graphs with reverse
// edges: a both-directions type, and a downstream type on a network with
// two-way supplier pairs (edges are added both ways too). Every update
// after the first projection takes the incremental path unless too big.
TEST(IncrementalDmpTest, TwoWayEqualsFullRecomputeAfterEveryChangeType) {
  for (std::uint64_t seed : {5, 6}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    EngineOptions o;
    o.risk_types[0].alpha = 1.5;
    o.risk_types[0].beta = 0.4;
    o.risk_types[0].direction = Direction::kDownstream;
    RiskType both;
    both.name = "data";
    both.layers = LayerBit(Layer::kData) | LayerBit(Layer::kMaterial);
    both.direction = Direction::kBoth;
    both.alpha = 1.2;
    both.beta = 0.5;
    o.risk_types.push_back(both);
    o.dmp.horizon = 12;
    o.projection = DmpOnly();
    o.vulnerability_refresh_changes = 100000;
    o.clock.history_window_steps = 8;
    auto created =
        Engine::Create(o, WithTwoWayPairs(testing::RandomGraph(300, 540, 70 + seed), 4, seed));
    ASSERT_TRUE(created.ok());
    Engine& engine = **created;
    ASSERT_TRUE(engine.AdvanceClock(100).ok());
    testing::RandomChanges changes({.seed = seed, .one_way = false, .clock = seed == 6});
    int updates = 0, incremental = 0;
    for (int step = 0; step < 60; ++step) {
      changes.ApplyBatch(engine);
      for (int r : engine.Project(static_cast<std::uint64_t>(step))) {
        const RiskTypeState& s = engine.risk_state(r);
        const TransmissionGraph& g = *engine.Graph(r);
        EXPECT_TRUE(g.has_reverse);
        SCOPED_TRACE("step " + std::to_string(step) + " type " + std::to_string(r));
        ExpectSameAsFull(g, s.initial(), o.dmp, s.projection());
        if (HasFatalFailure()) return;
        if (s.projection().full) continue;
        ++updates;
        incremental += s.projection().incremental_dmp;
      }
    }
    EXPECT_GT(updates, 40);
    EXPECT_GT(incremental * 10, updates * 9);
  }
}

}  // namespace
}  // namespace riskd::engine
