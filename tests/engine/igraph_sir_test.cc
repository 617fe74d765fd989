// The engine's continuous-time SIR against igraph_sir on the same graph and
// rates: final-size distributions must pass a two-sample test.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/testing/generators.h"
#include "engine/testing/graphs.h"
#include "engine/testing/igraph_peer.h"
#include "engine/testing/statistics.h"
#include "engine/vulnerability.h"

namespace riskd::engine {
namespace {

void ExpectSameFinalSizes(const Network& net, double beta, double gamma, int runs) {
  const auto g = testing::BuildGraph(net, Direction::kBoth, 1, 1);
  const auto ours = testing::ContinuousSirRuns(g, UniformRates(g, beta, gamma), runs, 17);
  testing::IgraphPeer peer(net);
  const auto theirs = peer.Sir(beta, gamma, runs, 42);
  const auto ks = testing::TwoSampleKs(ours.final_sizes, theirs.final_sizes);
  EXPECT_GT(ks.p_value, 0.01) << "KS D = " << ks.statistic;
  // Means: a two-sample z bound (4 standard errors of the difference; the
  // sizes are heavy-tailed, a few major outbreaks carry most of the mean).
  const double a = testing::Mean(ours.final_sizes), b = testing::Mean(theirs.final_sizes);
  auto variance = [](const std::vector<double>& x, double mean) {
    double sum = 0;
    for (double v : x) sum += (v - mean) * (v - mean);
    return sum / static_cast<double>(x.size() - 1);
  };
  const double standard_error =
      std::sqrt((variance(ours.final_sizes, a) + variance(theirs.final_sizes, b)) / runs);
  EXPECT_NEAR(a, b, 4 * standard_error);
  // The sizes vary (small and major outbreaks), so the test has power.
  EXPECT_GT(*std::max_element(ours.final_sizes.begin(), ours.final_sizes.end()), 5 * a / 4);
}

TEST(IgraphSirTest, FinalSizesMatchOnAScaleFreeGraph) {
  ExpectSameFinalSizes(BarabasiAlbert(2000, 2, {.seed = 7}), 0.25, 1.0, 2000);
}

TEST(IgraphSirTest, FinalSizesMatchOnAClusteredRing) {
  ExpectSameFinalSizes(WattsStrogatz(1000, 3, 0.1, {.seed = 7}), 0.4, 1.0, 2000);
}

TEST(IgraphSirTest, TheTestDetectsADifferentRate) {
  // Power check: a 20% higher infection rate must be rejected.
  const Network net = BarabasiAlbert(2000, 2, {.seed = 7});
  const auto g = testing::BuildGraph(net, Direction::kBoth, 1, 1);
  const auto ours = testing::ContinuousSirRuns(g, UniformRates(g, 0.30, 1.0), 2000, 17);
  testing::IgraphPeer peer(net);
  const auto theirs = peer.Sir(0.25, 1.0, 2000, 42);
  EXPECT_LT(testing::TwoSampleKs(ours.final_sizes, theirs.final_sizes).p_value, 1e-4);
}

TEST(IgraphSirTest, EventsAreCountedAsIgraphCountsThem) {
  // engine_bench's mc_speedup_vs_igraph is per event: both sides must count
  // the same events for the same outbreak.
  const Network net = BarabasiAlbert(2000, 2, {.seed = 7});
  const auto g = testing::BuildGraph(net, Direction::kBoth, 1, 1);
  testing::IgraphPeer peer(net);
  // No transmission: a run is its source's recovery, one event.
  EXPECT_EQ(testing::ContinuousSirRuns(g, UniformRates(g, 0.0, 1.0), 50, 17).events, 50u);
  EXPECT_EQ(peer.Sir(0.0, 1.0, 50, 42).events, 50u);
  // With spread: s - 1 infections after the source's and s recoveries.
  auto two_s_less_one = [](const testing::SirRuns& r) {
    std::uint64_t sum = 0;
    for (double s : r.final_sizes) sum += 2 * static_cast<std::uint64_t>(s) - 1;
    return sum;
  };
  const auto ours = testing::ContinuousSirRuns(g, UniformRates(g, 0.25, 1.0), 200, 17);
  const auto theirs = peer.Sir(0.25, 1.0, 200, 42);
  EXPECT_EQ(ours.events, two_s_less_one(ours));
  EXPECT_EQ(theirs.events, two_s_less_one(theirs));
}

}  // namespace
}  // namespace riskd::engine
