#include "engine/dmp_pairs.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "engine/projection.h"
#include "engine/testing/generators.h"
#include "engine/testing/graphs.h"

namespace riskd::engine {
namespace {

// Sources disrupted now with random severities, some nodes recovered.
InitialState RandomState(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  InitialState s;
  s.p_s.assign(n, 1.0);
  s.p_i.assign(n, 0.0);
  s.p_r.assign(n, 0.0);
  for (std::size_t v = 0; v < n; ++v) {
    const double x = u(rng);
    if (x < 0.05) {
      s.p_i[v] = 0.3 + 0.7 * u(rng);  // a source, partly susceptible
      s.p_s[v] = 1.0 - s.p_i[v];
    } else if (x < 0.08) {
      s.p_r[v] = 1.0;  // recovered: never hit (kept out of the frontier)
      s.p_s[v] = 0.0;
    }
  }
  return s;
}

// The pair sweep accumulates each P_S in ascending source order, the order
// of dmp.cc's in-rows, and computes every other value by the same
// expression: its risk, ETA and parent equal RunDmp with float messages
// bit for bit (the tolerance, 0, states that), on graphs where every arc
// has its reverse, whatever the DMP tolerance, with and without onset
// delays.
TEST(PairDmpTest, EqualsRunDmpWithFloatMessagesOnTwoWayGraphs) {
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    const Network net =
        seed % 2 ? testing::RandomGraph(300, 900, seed)
                 : BarabasiAlbert(300, 3, {.seed = seed, .min_weight = 0.5, .max_weight = 2.0});
    TransmissionGraph g = testing::BuildGraph(net, Direction::kBoth, 2.0, 0.3);
    if (seed > 4) {
      // Onset delays of 1 and 3 steps on some nodes (sources among them).
      for (NodeIndex v = 0; v < g.node_count; ++v) g.latency[v] = v % 3 == 0 ? 3 : v % 4 == 0;
      g.has_latency = true;
    }
    const InitialState init = RandomState(g.node_count, seed);
    ASSERT_TRUE(PairDmp::Supports(g, init)) << seed;
    PairDmp pairs(g);
    for (const double tolerance : {0.0, 1e-6, 1e-3}) {
      DmpOptions opt;
      opt.horizon = 12;
      opt.tolerance = tolerance;
      const DmpResult want = RunDmp<ProjectionMessage>(g, init, opt);
      const DmpResult got = pairs.Run(init, opt);  // the layout is reused across runs
      ASSERT_EQ(got.risk.size(), want.risk.size());
      double max_diff = 0;
      for (NodeIndex v = 0; v < g.node_count; ++v) {
        max_diff = std::max(max_diff, std::abs(got.risk[v] - want.risk[v]));
        EXPECT_EQ(got.eta[v], want.eta[v]) << "seed " << seed << " node " << v;
        EXPECT_EQ(got.parent[v], want.parent[v]) << "seed " << seed << " node " << v;
      }
      EXPECT_EQ(max_diff, 0.0) << "seed " << seed << " tolerance " << tolerance;
      EXPECT_EQ(got.touched_nodes, want.touched_nodes);
      EXPECT_EQ(got.expected_disrupted, want.expected_disrupted);
      EXPECT_GT(want.expected_disrupted, 10.0);  // the outbreak spreads
    }
  }
}

TEST(PairDmpTest, SupportsOnlyTwoWayGraphsInAFrameStartingNow) {
  const Network net = testing::RandomGraph(50, 120, 3);
  const TransmissionGraph both = testing::BuildGraph(net, Direction::kBoth, 2.0, 0.3);
  const TransmissionGraph down = testing::BuildGraph(net, Direction::kDownstream, 2.0, 0.3);
  InitialState init = RandomState(both.node_count, 3);
  EXPECT_TRUE(PairDmp::Supports(both, init));
  EXPECT_FALSE(PairDmp::Supports(down, init));
  init.now = 2;
  EXPECT_FALSE(PairDmp::Supports(both, init));
}

}  // namespace
}  // namespace riskd::engine
