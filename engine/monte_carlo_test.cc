#include "engine/monte_carlo.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "engine/dmp.h"
#include "engine/testing/digest.h"
#include "engine/testing/graphs.h"
#include "engine/testing/sir_exact.h"
#include "engine/testing/statistics.h"
#include "engine/testing/timed_states.h"
#include "engine/vulnerability.h"

namespace riskd::engine {
namespace {

void SetInventory(Network* net, int v, double days) {
  NodeAttributes a = net->node(static_cast<NodeIndex>(v));
  a.inventory_days = days;
  ASSERT_TRUE(net->UpdateNode(a).ok());
}

// The nearest-rank quantile is the sorted values' entry at rank ceil(q n)
// (the first for q n < 1), whatever their order and repeats: sizes of
// realizations (many equal) and an incident's shared totals (doubles).
TEST(MonteCarloTest, NearestRankQuantileIsTheSortedValueAtItsRank) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 200; ++trial) {
    const std::size_t n = 1 + rng() % 300;
    std::vector<std::uint32_t> sizes(n);
    std::vector<double> totals(n);
    for (std::size_t k = 0; k < n; ++k) {
      sizes[k] = static_cast<std::uint32_t>(rng() % 7);  // many repeats
      totals[k] = 0.25 * static_cast<double>(rng() % 40);
    }
    std::vector<std::uint32_t> sorted_sizes = sizes;
    std::vector<double> sorted_totals = totals;
    std::sort(sorted_sizes.begin(), sorted_sizes.end());
    std::sort(sorted_totals.begin(), sorted_totals.end());
    for (const double q : {0.0, 0.05, 0.5, 0.95, 1.0}) {
      const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(n)));
      const std::size_t at = rank == 0 ? 0 : rank - 1;
      EXPECT_EQ(SizeQuantile(sizes, q), sorted_sizes[at]) << n << " " << q;
      EXPECT_EQ(NearestRankQuantile(totals, q), sorted_totals[at]) << n << " " << q;
    }
  }
}

TEST(MonteCarloTest, EqualsExactEnumerationOnLoopyGraphs) {
  // A triangle with a tail and a chord: loops, latency, a partial source and
  // a recovered node. Monte Carlo must agree with the exact law everywhere
  // (unlike DMP).
  Network net = testing::MakeNetwork(
      6, {{0, 1, 1}, {1, 2, 2}, {2, 0, 1}, {2, 3, 1}, {3, 4, 1}, {1, 4, 0.5}, {4, 5, 1}});
  SetInventory(&net, 3, 1.0);
  SetInventory(&net, 4, 2.0);
  for (Direction dir : {Direction::kBoth, Direction::kDownstream}) {
    auto g = testing::BuildGraph(net, dir, 2.0, 0.35);
    std::vector<Observation> obs(6);
    obs[0] = {NodeState::kDisrupted, 1.0};
    obs[3] = {NodeState::kDisrupted, 0.4};
    obs[5] = {NodeState::kRecovered, 1.0};
    const InitialState init = InitialState::FromObservations(net, obs);
    const int T = 6;
    const auto exact = testing::ExactSir(g, init, T);
    MonteCarloOptions o;
    o.horizon = T;
    const std::uint32_t runs = 20000;
    const MonteCarloResult mc = RunMonteCarlo(g, init, o, runs);
    for (NodeIndex v = 0; v < 6; ++v) {
      EXPECT_NEAR(mc.risk[v], exact.risk[v], testing::BinomialBound(exact.risk[v], runs, 4.5))
          << "node " << v << " dir " << static_cast<int>(dir);
    }
    EXPECT_EQ(mc.risk[5], 0.0);
    EXPECT_EQ(mc.sizes.size(), runs);
  }
}

// On the clock too: random onset steps, shields, ends and fixed periods.
TEST(MonteCarloTest, EqualsDmpOnTreesWithinItsConfidenceBound) {
  for (std::uint64_t seed : {11u, 12u, 21u, 22u}) {
    const bool timed = seed > 20;
    SCOPED_TRACE("seed " + std::to_string(seed));
    Network net = testing::RandomTree(200, seed);
    for (int v = 0; v < 200; v += 7) SetInventory(&net, v, 1.0 + v % 3);
    auto g = testing::BuildGraph(net, Direction::kBoth, 3.0, 0.3);
    std::vector<Observation> obs(200);
    obs[seed % 200] = {NodeState::kDisrupted, 1.0};
    obs[(seed * 7) % 200] = {NodeState::kDisrupted, 0.5};
    if (timed) obs[(seed * 13) % 200] = {NodeState::kDisrupted, 0.8};
    InitialState init = InitialState::FromObservations(net, obs);
    if (timed) testing::AddRandomTimes(&init, 6, 12, seed);
    DmpOptions d;
    d.horizon = 12;
    d.tolerance = 0;
    const DmpResult dmp = RunDmp(g, init, d);
    MonteCarloOptions o;
    o.horizon = 12;
    const std::uint32_t runs = 4000;
    const MonteCarloResult mc = RunMonteCarlo(g, init, o, runs);
    int reached = 0;
    for (NodeIndex v = 0; v < 200; ++v) {
      EXPECT_NEAR(mc.risk[v], dmp.risk[v], testing::BinomialBound(dmp.risk[v], runs, 4.5)) << v;
      reached += dmp.risk[v] > 0.05;
    }
    EXPECT_GT(reached, 10);  // the test covers real spread
    // Outbreak size: mean within 4.5 standard errors of DMP's expectation.
    std::vector<double> sizes(mc.sizes.begin(), mc.sizes.end());
    const double mean = testing::Mean(sizes);
    double var = 0;
    for (double s : sizes) var += (s - mean) * (s - mean);
    var /= runs - 1;
    EXPECT_NEAR(mean, dmp.expected_disrupted, 4.5 * std::sqrt(var / runs));
  }
}

// The model clock (state.h): sources starting at different steps, shields,
// removals, fixed periods, and the window [now, now + T]. The Monte Carlo
// follows the same law as exact enumeration, loops included.
TEST(MonteCarloTest, EqualsExactEnumerationWithOnsetStepsShieldsAndEnds) {
  Network net = testing::MakeNetwork(
      6, {{0, 1, 1}, {1, 2, 2}, {2, 0, 1}, {2, 3, 1}, {3, 4, 1}, {1, 4, 0.5}, {4, 5, 1}});
  SetInventory(&net, 4, 1.0);
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    for (Direction dir : {Direction::kBoth, Direction::kDownstream}) {
      auto g = testing::BuildGraph(net, dir, 2.0, 0.35);
      std::vector<Observation> obs(6);
      obs[seed % 6] = {NodeState::kDisrupted, 1.0};
      obs[(seed + 3) % 6] = {NodeState::kDisrupted, 0.6};
      InitialState init = InitialState::FromObservations(net, obs);
      testing::AddRandomTimes(&init, 3, 4, seed);
      const auto exact = testing::ExactSir(g, init, 4);
      MonteCarloOptions o;
      o.horizon = 4;
      const std::uint32_t runs = 20000;
      const MonteCarloResult mc = RunMonteCarlo(g, init, o, runs);
      for (NodeIndex v = 0; v < 6; ++v) {
        EXPECT_NEAR(mc.risk[v], exact.risk[v], testing::BinomialBound(exact.risk[v], runs, 4.5))
            << "node " << v << " seed " << seed << " dir " << static_cast<int>(dir);
      }
    }
  }
}

TEST(MonteCarloTest, EtaParentAndIntervalOnAChain) {
  // p ~ 1 and no recovery: node k is disrupted at step k in every run.
  Network net = testing::MakeNetwork(4, {{0, 1, 1}, {1, 2, 1}, {2, 3, 1}});
  RiskType t;
  t.alpha = 40;
  t.beta = 0;
  VulnerabilityOptions vo;
  vo.mode = VulnerabilityOptions::Mode::kUniform;
  auto g = BuildTransmissionGraph(net, t, ComputeVulnerability(net, t.layers, vo));
  const InitialState init = InitialState::FromObservations(net, {{NodeState::kDisrupted, 1.0}});
  MonteCarloOptions o;
  o.horizon = 2;
  const MonteCarloResult mc = RunMonteCarlo(g, init, o, 100);
  EXPECT_EQ(mc.risk, (std::vector<double>{1, 1, 1, 0}));
  EXPECT_EQ(mc.eta, (std::vector<int>{0, 1, 2, -1}));
  EXPECT_EQ(mc.parent, (std::vector<NodeIndex>{kNoNode, 0, 1, kNoNode}));
  EXPECT_EQ(SizeQuantile(mc.sizes, 0.05), 3);
  EXPECT_EQ(SizeQuantile(mc.sizes, 0.95), 3);
  EXPECT_EQ(SizeQuantile({5, 1, 4, 2, 3}, 0.5), 3);
  EXPECT_EQ(SizeQuantile({5, 1, 4, 2, 3}, 0.05), 1);
  EXPECT_EQ(SizeQuantile({5, 1, 4, 2, 3}, 0.95), 5);
  // The same chain on the clock: the source started at step 1, now is 2.
  InitialState timed = init;
  timed.now = 2;
  timed.start = {1, 0, 0, 0};
  const MonteCarloResult later = RunMonteCarlo(g, timed, o, 100);
  EXPECT_EQ(later.risk, (std::vector<double>{1, 1, 1, 1}));
  EXPECT_EQ(later.eta, (std::vector<int>{0, 0, 1, 2}));  // relative to now
  const DmpResult dmp = RunDmp(g, timed, {.horizon = 2, .tolerance = 0});
  EXPECT_EQ(dmp.eta, later.eta);
}

// With common random numbers every realization responds monotonically.
TEST(MonteCarloTest, CommonRandomNumbersCoupleScenariosRealizationByRealization) {
  Network net = testing::RandomGraph(120, 300, 5);
  std::vector<Observation> obs(120);
  obs[3] = {NodeState::kDisrupted, 1.0};
  const InitialState base = InitialState::FromObservations(net, obs);
  MonteCarloOptions o;
  o.horizon = 15;
  auto sizes = [&](double alpha, double beta, const InitialState& init) {
    return RunMonteCarlo(testing::BuildGraph(net, Direction::kBoth, alpha, beta), init, o, 300)
        .sizes;
  };
  const auto reference = sizes(1.5, 0.3, base);
  const auto faster = sizes(2.5, 0.3, base);
  const auto recovering = sizes(1.5, 0.6, base);
  obs[77] = {NodeState::kDisrupted, 1.0};
  const auto two_sources = sizes(1.5, 0.3, InitialState::FromObservations(net, obs));
  obs[77] = {};
  for (int v = 10; v < 40; ++v) obs[static_cast<std::size_t>(v)] = {NodeState::kImmunized, 1.0};
  const auto immunized = sizes(1.5, 0.3, InitialState::FromObservations(net, obs));
  for (std::size_t k = 0; k < reference.size(); ++k) {
    EXPECT_GE(faster[k], reference[k]) << k;
    EXPECT_LE(recovering[k], reference[k]) << k;
    EXPECT_GE(two_sources[k], reference[k]) << k;
    EXPECT_LE(immunized[k], reference[k]) << k;
  }
  EXPECT_GT(testing::Mean({faster.begin(), faster.end()}),
            testing::Mean({reference.begin(), reference.end()}));
}

TEST(MonteCarloTest, RegionRunsStopAtTheRegionAndExtendIncrementally) {
  Network net = testing::MakeNetwork(4, {{0, 1, 1}, {1, 2, 1}, {2, 3, 1}});
  auto g = testing::BuildGraph(net, Direction::kDownstream, 40, 0);
  const InitialState init = InitialState::FromObservations(net, {{NodeState::kDisrupted, 1.0}});
  const std::vector<NodeIndex> region{0, 1, 2};
  MonteCarloTally tally = MakeTally(g, region, 5);
  MonteCarloWorkspace ws;
  ws.Prepare(g);
  MonteCarloOptions o;
  o.horizon = 5;
  RunMonteCarlo(g, init, o, 10, ~std::uint64_t{0}, &tally, &ws);
  RunMonteCarlo(g, init, o, 25, ~std::uint64_t{0}, &tally, &ws);
  EXPECT_EQ(tally.realizations, 25u);
  EXPECT_EQ(tally.sizes, std::vector<std::uint32_t>(25, 3));  // node 3 is outside
  EXPECT_EQ(tally.Risk(2), 1.0);
  // A work budget stops early, after at least one more realization.
  RunMonteCarlo(g, init, o, 1000, 1, &tally, &ws);
  EXPECT_EQ(tally.realizations, 26u);
}

// The infector counted is the in-edge the infection took, not the first
// slot of the target's row.
TEST(MonteCarloTest, ParentIsTheInEdgeThatInfected) {
  // Node 3 has in-edges from 0, 1 and 2 (slots 0..2); only 2 is disrupted.
  Network net = testing::MakeNetwork(4, {{0, 3, 1}, {1, 3, 1}, {2, 3, 1}});
  auto g = testing::BuildGraph(net, Direction::kDownstream, 40, 0);
  std::vector<Observation> obs(4);
  obs[2] = {NodeState::kDisrupted, 1.0};
  const InitialState init = InitialState::FromObservations(net, obs);
  MonteCarloOptions o;
  o.horizon = 3;
  const MonteCarloResult mc = RunMonteCarlo(g, init, o, 50);
  EXPECT_EQ(mc.risk[3], 1.0);
  EXPECT_EQ(mc.parent[3], 2u);
  EXPECT_EQ(mc.parent[0], kNoNode);
}

// FNV-1a over everything a tally holds: its counts, sizes, realizations and
// work.
std::uint64_t TallyDigest(const MonteCarloTally& t) {
  testing::Fnv1aDigest digest;
  for (std::size_t i = 0; i < t.disrupted.size(); ++i) digest.Mix(t.disrupted[i]);
  for (std::size_t i = 0; i < t.onset_counts.size(); ++i) digest.Mix(t.onset_counts[i]);
  for (std::size_t i = 0; i < t.infector_counts.size(); ++i) digest.Mix(t.infector_counts[i]);
  for (std::uint32_t s : t.sizes) digest.Mix(s);
  digest.Mix(t.realizations);
  digest.Mix(t.work);
  return digest.value();
}

// The realizations are pure functions of (seed, realization, node or edge),
// so a change of how a run stores its arcs or counts must not change a
// single count: the digests below are of the tallies main 6551ed0 (12-byte
// arcs gathered lazily, 16-bit counts) gave, on a loopy graph with onset
// delays, shields, ends, fixed periods and partly disrupted sources, whole
// and restricted to a region, in 600 realizations (counts past one byte)
// extended in two calls.
TEST(MonteCarloTest, TalliesAreThoseOfTheReferenceImplementation) {
  Network net = testing::RandomGraph(400, 2400, 5);
  for (int v = 0; v < 400; v += 7) SetInventory(&net, v, 1.0 + v % 3);
  std::vector<std::uint64_t> digests;
  for (Direction dir : {Direction::kDownstream, Direction::kBoth}) {
    auto g = testing::BuildGraph(net, dir, 1.2, 0.3);
    std::vector<Observation> obs(400);
    obs[3] = {NodeState::kDisrupted, 1.0};
    obs[150] = {NodeState::kDisrupted, 0.6};
    obs[299] = {NodeState::kDisrupted, 0.9};
    InitialState init = InitialState::FromObservations(net, obs);
    testing::AddRandomTimes(&init, 2, 6, 11);
    for (NodeIndex limit : {NodeIndex{400}, NodeIndex{260}}) {
      std::vector<NodeIndex> region;
      for (NodeIndex v = 0; v < limit; ++v) {
        if (init.p_r[v] < 1) region.push_back(v);
      }
      MonteCarloOptions o;
      o.horizon = 6;
      o.seed = 99;
      MonteCarloWorkspace ws;
      ws.Prepare(g);
      MonteCarloTally tally = MakeTally(g, region, o.horizon);
      RunMonteCarlo(g, init, o, 200, ~std::uint64_t{0}, &tally, &ws);
      RunMonteCarlo(g, init, o, 600, ~std::uint64_t{0}, &tally, &ws);
      digests.push_back(TallyDigest(tally));
      // Outbreaks that spread, counts past one byte.
      EXPECT_GT(*std::max_element(tally.sizes.begin(), tally.sizes.end()), 50u);
      std::uint32_t most = 0;
      for (std::size_t i = 0; i < tally.onset_counts.size(); ++i) {
        most = std::max(most, tally.onset_counts[i]);
      }
      EXPECT_GT(most, 255u);
    }
  }
  EXPECT_EQ(digests, (std::vector<std::uint64_t>{5479713701203627881ull, 12322372510740267375ull,
                                                 2473935782831956355ull, 9227793424740646383ull}));
}

// The check's largest transient is its arcs: 6 bytes each (region index
// and rate bracket; no rate, no in-edge slot), only for the nodes that
// spread, only inside the region; its tally takes one byte per count while
// no count can pass 255 (the daemon's check of its hub region makes ~60
// realizations), two once one could. A hub with 5000 out-edges (more than
// the 4096 arcs of a shared chunk) gets a chunk sized for its row: 4999
// arcs into the region, room for the one that leaves it.
TEST(MonteCarloTest, ArcsTakeSixBytesEachInsideTheRegionAndCountsOneByte) {
  std::vector<std::tuple<int, int, double>> edges;
  for (int leaf = 1; leaf <= 5000; ++leaf) edges.emplace_back(0, leaf, 1.0);
  Network net = testing::MakeNetwork(5001, edges);
  auto g = testing::BuildGraph(net, Direction::kDownstream, 40, 0);
  const InitialState init = InitialState::FromObservations(net, {{NodeState::kDisrupted, 1.0}});
  std::vector<NodeIndex> region;
  for (NodeIndex v = 0; v < 5000; ++v) region.push_back(v);  // leaf 5000 outside
  MonteCarloTally tally = MakeTally(g, region, 3);
  MonteCarloWorkspace ws;
  ws.Prepare(g);
  MonteCarloOptions o;
  o.horizon = 3;
  RunMonteCarlo(g, init, o, 4, ~std::uint64_t{0}, &tally, &ws);
  EXPECT_EQ(tally.sizes, std::vector<std::uint32_t>(4, 5000));
  EXPECT_EQ(tally.peak_arc_bytes, 5000u * 6);
  EXPECT_EQ(tally.Parent(g, 4999), 0u);
  // Per region node: its index, its offset (one more) and T + 1 = 4 onset
  // counts plus its disrupted count; one infector count per in-edge inside
  // the region (4999); the sizes.
  const std::size_t entries = 5000, in_edges = 4999;
  auto expected = [&](std::size_t bytes_per_count) {
    return entries * 4 + (entries + 1) * 4 + (entries * 4 + entries + in_edges) * bytes_per_count +
           tally.sizes.capacity() * 4;
  };
  EXPECT_EQ(tally.onset_counts.bytes_per_count(), 1);
  EXPECT_EQ(tally.infector_counts.bytes_per_count(), 1);
  EXPECT_EQ(tally.disrupted.bytes_per_count(), 1);
  EXPECT_EQ(tally.MemoryBytes(), expected(1));
  // The workspace: per node of the graph its region index, per region
  // entry its onset and infector, the reached entries and the buckets of
  // one realization (each entry once).
  EXPECT_LE(ws.MemoryBytes(), 5001 * 4 + entries * (4 + 4) + 2 * 8192 * 4 + 4 * 32);
  RunMonteCarlo(g, init, o, 300, ~std::uint64_t{0}, &tally, &ws);
  EXPECT_EQ(tally.disrupted[0], 300u);
  EXPECT_EQ(tally.onset_counts.bytes_per_count(), 2);
  EXPECT_EQ(tally.MemoryBytes(), expected(2));
}

// The counts' bytes: a count is what as many increments of a plain 32-bit
// counter give, across the second byte (past 255) and the upper half (past
// 65535), whichever bytes it holds; widening adds the higher bytes only.
TEST(MonteCarloTest, RealizationCountsCountExactlyAcrossTheirWidths) {
  RealizationCounts counts;
  counts.Assign(3);
  std::vector<std::uint32_t> plain(3, 0);
  for (std::uint32_t k = 0; k < 70000; ++k) {
    counts.Reserve(k + 1);
    counts.Increment(0);
    ++plain[0];
    if (k % 7 == 0) {
      counts.Increment(2);
      ++plain[2];
    }
    if (k == 254 || k == 255 || k == 256 || k == 65534 || k == 65535 || k == 65536 || k == 69999) {
      for (std::size_t i = 0; i < 3; ++i) ASSERT_EQ(counts[i], plain[i]) << k << " " << i;
      const int bytes = k + 1 > 65535 ? 4 : k + 1 > 255 ? 2 : 1;
      EXPECT_EQ(counts.bytes_per_count(), bytes) << k;
      EXPECT_EQ(counts.MemoryBytes(), 3u * static_cast<std::size_t>(bytes)) << k;
      EXPECT_EQ(counts.wide(), bytes == 4) << k;
    }
  }
  EXPECT_EQ(counts[0], 70000u);
  EXPECT_EQ(counts[1], 0u);
  EXPECT_EQ(counts[2], 10000u);
  counts.Assign(2);  // back to one byte each, all 0
  EXPECT_EQ(counts.bytes_per_count(), 1);
  EXPECT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[0], 0u);
}

// A rate's bracket holds it (low end at or below, the next bracket's low
// end above) and is at most 1 + 2^-11 wide relative to its low end, the
// margin the run's bound on a draw's delay relies on (monte_carlo.cc,
// TransmissionSteps); rates outside 2^-25 .. 128 have none and are drawn
// from their own value.
TEST(MonteCarloTest, RateBracketsHoldTheirRates) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> exponent(-40, 8);
  std::vector<double> rates{std::ldexp(1.0, -25),
                            std::nextafter(std::ldexp(1.0, -25), 1.0),
                            0.5,
                            1.0,
                            std::nextafter(1.0, 0.0),
                            127.0,
                            std::nextafter(128.0, 0.0)};
  for (int i = 0; i < 200000; ++i) rates.push_back(std::exp2(exponent(rng)));
  for (double p : {1e-12, 1e-6, 0.01, 0.5, 0.999999}) rates.push_back(GeometricRate(p));
  int bracketed = 0;
  for (double rate : rates) {
    const std::uint16_t b = RateBracket(rate);
    if (rate < std::ldexp(1.0, -25) || rate >= 127.96875) {
      EXPECT_EQ(b, kNoRateBracket) << rate;
      continue;
    }
    ASSERT_NE(b, kNoRateBracket) << rate;
    ++bracketed;
    const double low = RateBracketLow(b), high = RateBracketLow(b + 1u);
    EXPECT_LE(low, rate) << rate;
    EXPECT_LT(rate, high) << rate;
    EXPECT_LE(high / low, 2049.0 / 2048) << rate;
  }
  EXPECT_GT(bracketed, 100000);
  for (double rate : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity(),
                      std::ldexp(1.0, -26), 128.0, 1e300}) {
    EXPECT_EQ(RateBracket(rate), kNoRateBracket) << rate;
  }
}

// Counts get their upper 16 bits once a tally could pass 65535
// realizations: extending a tally across that point counts exactly as a
// tally that went past it in one run.
TEST(MonteCarloTest, TallyCountsWidenPast65535Realizations) {
  Network net = testing::RandomGraph(12, 30, 3);
  auto g = testing::BuildGraph(net, Direction::kDownstream, 1.5, 0.3);
  std::vector<Observation> obs(12);
  obs[0] = {NodeState::kDisrupted, 1.0};
  obs[5] = {NodeState::kDisrupted, 0.5};
  const InitialState init = InitialState::FromObservations(net, obs);
  std::vector<NodeIndex> region(12);
  for (NodeIndex v = 0; v < 12; ++v) region[v] = v;
  MonteCarloOptions o;
  o.horizon = 4;
  MonteCarloWorkspace ws;
  ws.Prepare(g);
  MonteCarloTally extended = MakeTally(g, region, o.horizon);
  RunMonteCarlo(g, init, o, 60000, ~std::uint64_t{0}, &extended, &ws);
  EXPECT_FALSE(extended.onset_counts.wide());
  const std::uint32_t source_hits = extended.disrupted[0];
  EXPECT_EQ(source_hits, 60000u);
  RunMonteCarlo(g, init, o, 70000, ~std::uint64_t{0}, &extended, &ws);
  EXPECT_TRUE(extended.onset_counts.wide());
  EXPECT_TRUE(extended.disrupted.wide());
  EXPECT_EQ(extended.disrupted[0], 70000u);  // past 16 bits
  MonteCarloTally whole = MakeTally(g, region, o.horizon);
  RunMonteCarlo(g, init, o, 70000, ~std::uint64_t{0}, &whole, &ws);
  ASSERT_EQ(whole.onset_counts.size(), extended.onset_counts.size());
  for (std::size_t i = 0; i < whole.onset_counts.size(); ++i) {
    EXPECT_EQ(whole.onset_counts[i], extended.onset_counts[i]) << i;
  }
  ASSERT_EQ(whole.infector_counts.size(), extended.infector_counts.size());
  for (std::size_t i = 0; i < whole.infector_counts.size(); ++i) {
    EXPECT_EQ(whole.infector_counts[i], extended.infector_counts[i]) << i;
  }
  for (std::size_t x = 0; x < region.size(); ++x) {
    EXPECT_EQ(whole.disrupted[x], extended.disrupted[x]) << x;
    EXPECT_EQ(whole.Eta(x), extended.Eta(x)) << x;
    EXPECT_EQ(whole.Parent(g, x), extended.Parent(g, x)) << x;
  }
  EXPECT_EQ(whole.sizes, extended.sizes);
}

}  // namespace
}  // namespace riskd::engine
