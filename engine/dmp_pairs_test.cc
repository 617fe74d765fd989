#include "engine/dmp_pairs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "engine/projection.h"
#include "engine/testing/generators.h"
#include "engine/testing/graphs.h"
#include "engine/testing/timed_states.h"

namespace riskd::engine {
namespace {

using Workspace = BasicDmpWorkspace<float>;

// Sources disrupted now with random severities (a tenth of them surely
// disrupted: P_S(0) = 0, never hit again), some nodes recovered.
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
      s.p_i[v] = u(rng) < 0.1 ? 1.0 : 0.3 + 0.7 * u(rng);  // a source
      s.p_s[v] = 1.0 - s.p_i[v];
    } else if (x < 0.08) {
      s.p_r[v] = 1.0;  // recovered: never hit (kept out of the frontier)
      s.p_s[v] = 0.0;
    }
  }
  return s;
}

// What a frame has besides now: neither starts nor ends, starts (sources
// starting after 0, nodes shielded until a step), ends (sources with a
// fixed period ending, nodes removed; some before now), or both.
enum class Times { kNone, kStarts, kEnds, kBoth };

const char* TimesName(Times times) {
  switch (times) {
    case Times::kNone:
      return "no times";
    case Times::kStarts:
      return "starts";
    case Times::kEnds:
      return "ends";
    case Times::kBoth:
      return "starts and ends";
  }
  return "";
}

// AddRandomTimes' frame of a projection 5 steps after its first step
// (starts in 0..5, ends in 1..5 + horizon), with `now` (0: every start and
// end after now, 5: some before), the starts or ends not asked for taken
// out, the fixed periods kept (then fixed throughout without ends).
InitialState TimedFrame(InitialState s, Times times, int now, int horizon, std::uint64_t seed) {
  testing::AddRandomTimes(&s, 5, horizon, seed);
  s.now = now;
  if (times == Times::kNone || times == Times::kEnds) s.start.assign(s.p_s.size(), 0);
  if (times == Times::kNone || times == Times::kStarts) {
    s.end.assign(s.p_s.size(), InitialState::kNever);
  } else {
    // Every eighth source removed at its start (dmp.cc never touches it).
    std::size_t sources = 0;
    for (NodeIndex v = 0; v < s.p_s.size(); ++v) {
      if (s.p_i[v] > 0 && sources++ % 8 == 0) s.end[v] = s.Start(v);
    }
  }
  return s;
}

TransmissionGraph TwoWayGraph(std::uint64_t seed) {
  const Network net =
      seed % 2 ? testing::RandomGraph(300, 900, seed)
               : BarabasiAlbert(300, 3, {.seed = seed, .min_weight = 0.5, .max_weight = 2.0});
  TransmissionGraph g = testing::BuildGraph(net, Direction::kBoth, 2.0, 0.3);
  if (seed > 4) {
    // Onset delays of 1 and 3 steps on some nodes (sources among them).
    for (NodeIndex v = 0; v < g.node_count; ++v) g.latency[v] = v % 3 == 0 ? 3 : v % 4 == 0;
    g.has_latency = true;
  }
  g.generation.value = 100 + seed;  // as the engine numbers its graphs
  return g;
}

std::vector<NodeIndex> SourcesOf(const InitialState& s) {
  std::vector<NodeIndex> out;
  for (NodeIndex v = 0; v < s.p_i.size(); ++v) {
    if (s.p_i[v] > 0) out.push_back(v);
  }
  return out;
}

// What a run gives, every field: the region and, written through
// DmpNodeValues, the per-node values; the trajectories.
struct Outputs {
  DmpRegion region;
  std::vector<double> trajectories, risk;
  std::vector<int> eta;
  std::vector<NodeIndex> parent;
};

Outputs RunBoth(const TransmissionGraph& g, const InitialState& init,
                std::span<const NodeIndex> sources, const DmpOptions& opt, Workspace* ws,
                bool through_values) {
  Outputs o;
  o.risk.assign(g.node_count, -7.0);
  o.eta.assign(g.node_count, -7);
  o.parent.assign(g.node_count, 7777);
  const DmpNodeValues values{o.risk, o.eta, o.parent};
  o.region =
      RunDmpRegion(g, init, sources, opt, ws, &o.trajectories, through_values ? &values : nullptr);
  return o;
}

void ExpectSame(const Outputs& got, const Outputs& want, const std::string& what) {
  EXPECT_EQ(got.region.nodes, want.region.nodes) << what;
  EXPECT_EQ(got.region.touched_count, want.region.touched_count) << what;
  EXPECT_EQ(got.region.risk, want.region.risk) << what;
  EXPECT_EQ(got.region.eta, want.region.eta) << what;
  EXPECT_EQ(got.region.parent, want.region.parent) << what;
  EXPECT_EQ(got.region.edge_updates, want.region.edge_updates) << what;
  EXPECT_EQ(got.trajectories, want.trajectories) << what;
  EXPECT_EQ(got.risk, want.risk) << what;
  EXPECT_EQ(got.eta, want.eta) << what;
  EXPECT_EQ(got.parent, want.parent) << what;
}

// RunDmpRegion with float messages hands runs on graphs where every arc
// has its reverse to the pair kernel once a costly run has built its
// layout; every output field is then dmp.cc's kernel's bit for bit
// (exact comparison of doubles), on random and scale-free graphs, with
// and without onset delays, frames without times, with starts, ends or
// both, now 0 and 5 (with fixed periods), tolerances 0, 1e-6 and 1e-3,
// from every source and
// from a part of them, values in the region's vectors and through
// DmpNodeValues. One workspace per graph, reused across its runs (the
// state must be left clean).
TEST(PairDmpTest, RegionRunsEqualDmpKernelInEveryFieldOnSupportedFrames) {
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    const TransmissionGraph g = TwoWayGraph(seed);
    ASSERT_TRUE(PairDmp::SupportsGraph(g));
    Workspace ws, plain;
    plain.set_pair_kernel(false);
    ws.Prepare(g);
    plain.Prepare(g);
    const InitialState base = RandomState(g.node_count, seed);
    const std::vector<NodeIndex> all = SourcesOf(base);
    {
      // The second costly run on the graph builds the layout (dmp.cc's
      // kernel runs both): a graph that changed after the first would
      // never use it.
      DmpOptions opt;
      opt.horizon = 12;
      opt.tolerance = 0;
      (void)RunDmpRegion(g, base, all, opt, &ws);
      ASSERT_EQ(ws.pair_layout_bytes(), 0u) << seed;
      (void)RunDmpRegion(g, base, all, opt, &ws);
      ASSERT_EQ(ws.pair_runs(), 0u);
      ASSERT_GT(ws.pair_layout_bytes(), 0u) << seed;
    }
    for (const int now : {0, 5}) {
      for (const Times times : {Times::kNone, Times::kStarts, Times::kEnds, Times::kBoth}) {
        const InitialState init =
            now == 0 && times == Times::kNone ? base : TimedFrame(base, times, now, 12, seed);
        ASSERT_TRUE(PairDmp::SupportsFrame(init, DmpOptions{.horizon = 12}));
        // Every source, and every third one (in an order not ascending).
        std::vector<NodeIndex> part;
        for (std::size_t x = all.size(); x-- > 0;) {
          if (x % 3 == 0) part.push_back(all[x]);
        }
        for (const double tolerance : {0.0, 1e-6, 1e-3}) {
          for (const bool partial : {false, true}) {
            for (const bool through_values : {false, true}) {
              DmpOptions opt;
              opt.horizon = 12;
              opt.tolerance = tolerance;
              const std::span<const NodeIndex> sources = partial ? part : all;
              const std::uint64_t before = ws.pair_runs();
              const Outputs got = RunBoth(g, init, sources, opt, &ws, through_values);
              const Outputs want = RunBoth(g, init, sources, opt, &plain, through_values);
              const std::string what =
                  "seed " + std::to_string(seed) + " now " + std::to_string(now) + " " +
                  TimesName(times) + " tolerance " + std::to_string(tolerance) +
                  (partial ? " part" : " all") + (through_values ? " values" : "");
              ExpectSame(got, want, what);
              // Served (no theta reaches 0 here), from a part of the
              // sources too (the others touched later, as any node).
              EXPECT_EQ(ws.pair_runs(), before + 1) << what;
              EXPECT_GT(want.region.touched_count, 0u) << what;
            }
          }
        }
      }
    }
    EXPECT_EQ(plain.pair_runs(), 0u);
  }
}

// Every case the pair kernel does not match is left to dmp.cc's kernel,
// with its results: graphs with an arc without reverse, one-way graphs,
// graphs of generation 0 (not numbered by the engine), frames with a
// start before 0 or a last step past the records' int16, a theta stored
// as 0; and the layout is built only after a costly run (in a frame with
// starts and ends too: the daemon's steady state), freed by Release.
TEST(PairDmpTest, UnsupportedCasesFallBackToDmpKernel) {
  DmpOptions opt;
  opt.horizon = 12;
  opt.tolerance = 0;
  const TransmissionGraph two_way = TwoWayGraph(1);
  const InitialState init = RandomState(two_way.node_count, 1);
  const std::vector<NodeIndex> all = SourcesOf(init);
  // Runs three times on a fresh workspace (the second may build the
  // layout), the third with `third` (opt unless given) from `third_sources`
  // (`sources` unless given), and returns whether the pair kernel served
  // it; its outputs must be dmp.cc's kernel's.
  const auto second_run = [&](const TransmissionGraph& g, const InitialState& s,
                              std::span<const NodeIndex> sources, const std::string& what,
                              const DmpOptions* third = nullptr,
                              std::span<const NodeIndex> third_sources = {}) {
    Workspace ws, plain;
    plain.set_pair_kernel(false);
    ws.Prepare(g);
    plain.Prepare(g);
    (void)RunDmpRegion(g, s, sources, opt, &ws);
    (void)RunDmpRegion(g, s, sources, opt, &ws);
    const DmpOptions& o = third ? *third : opt;
    if (third_sources.empty()) third_sources = sources;
    const Outputs got = RunBoth(g, s, third_sources, o, &ws, false);
    ExpectSame(got, RunBoth(g, s, third_sources, o, &plain, false), what);
    return ws.pair_runs() > 0;
  };
  EXPECT_TRUE(second_run(two_way, init, all, "two-way"));  // the control

  TransmissionGraph mixed = TwoWayGraph(1);
  mixed.reverse[0] = kNoEdge;  // one arc without its reverse
  EXPECT_FALSE(PairDmp::SupportsGraph(mixed));
  EXPECT_FALSE(second_run(mixed, init, all, "mixed"));

  const Network net = testing::RandomGraph(300, 900, 1);
  TransmissionGraph one_way = testing::BuildGraph(net, Direction::kDownstream, 2.0, 0.3);
  one_way.generation.value = 7;
  EXPECT_FALSE(PairDmp::SupportsGraph(one_way));
  EXPECT_FALSE(second_run(one_way, init, all, "one-way"));

  TransmissionGraph unnumbered = TwoWayGraph(1);
  unnumbered.generation.value = 0;
  EXPECT_FALSE(second_run(unnumbered, init, all, "generation 0"));

  InitialState timed = init;
  testing::AddRandomTimes(&timed, 5, 12, 3);
  EXPECT_TRUE(PairDmp::SupportsFrame(timed, opt));
  EXPECT_TRUE(second_run(two_way, timed, all, "starts and ends"));  // built and served
  // A source starting before the frame's first step (dmp.cc never
  // touches it).
  InitialState early = timed;
  early.start[all[0]] = -1;
  EXPECT_FALSE(PairDmp::SupportsFrame(early, opt));
  EXPECT_TRUE(PairDmp::SupportsTimes(early, opt));
  EXPECT_FALSE(second_run(two_way, early, all, "start before 0"));
  // A last step (now + T) whose next does not fit in int16.
  EXPECT_TRUE(PairDmp::SupportsFrame(timed, DmpOptions{.horizon = 32766 - 5}));
  EXPECT_FALSE(PairDmp::SupportsFrame(timed, DmpOptions{.horizon = 32767 - 5}));
  // Its third run, after the two that built the layout ("starts and
  // ends"), a small region over the long frame: one source, little reached.
  const DmpOptions long_frame{.horizon = 32767 - 5, .tolerance = 0.2};
  const std::vector<NodeIndex> one{all[1]};
  EXPECT_FALSE(second_run(two_way, timed, all, "long frame", &long_frame, one));

  // p = 1 from a surely disrupted source: theta 0 at step 1.
  TransmissionGraph sure = TwoWayGraph(1);
  for (double& p : sure.p) p = 1.0;
  InitialState surely = init;
  surely.p_i[all[0]] = 1.0;
  surely.p_s[all[0]] = 0.0;
  EXPECT_TRUE(PairDmp::SupportsGraph(sure));
  EXPECT_FALSE(second_run(sure, surely, all, "theta 0"));

  // A small region builds no layout; Release frees it.
  Workspace ws;
  ws.Prepare(two_way);
  DmpOptions small = opt;
  small.horizon = 1;
  small.tolerance = 0.5;
  (void)RunDmpRegion(two_way, init, std::span(all).first(1), small, &ws);
  EXPECT_EQ(ws.pair_layout_bytes(), 0u);
  const std::size_t before = ws.MemoryBytes();  // the arc kernel's arrays
  // A costly run of another graph (another generation) between two of
  // this one's: no layout yet; this graph's second one in a row builds it.
  TransmissionGraph other = two_way;
  other.generation.value = two_way.generation.value + 1;
  (void)RunDmpRegion(two_way, init, all, opt, &ws);
  (void)RunDmpRegion(other, init, all, opt, &ws);
  (void)RunDmpRegion(two_way, init, all, opt, &ws);
  EXPECT_EQ(ws.pair_layout_bytes(), 0u);
  (void)RunDmpRegion(two_way, init, all, opt, &ws);
  const std::size_t layout = ws.pair_layout_bytes();
  EXPECT_GT(layout, 0u);
  // The arc kernel's per-arc arrays (20 bytes per arc) are not held next
  // to the layout; a run handed to the arc kernel drops the layout, sizes
  // them again and gives its results: the two are never held together.
  const std::size_t arcs = 20 * two_way.edge_count();
  ws.Prepare(two_way);
  EXPECT_LE(ws.MemoryBytes() + arcs, before + layout + 1024);  // 1 kB: the run's lists
  {
    Workspace plain;
    plain.set_pair_kernel(false);
    plain.Prepare(two_way);
    ExpectSame(RunBoth(two_way, early, all, opt, &ws, false),
               RunBoth(two_way, early, all, opt, &plain, false),
               "start before 0, after the layout");
    EXPECT_EQ(ws.pair_layout_bytes(), 0u);
    EXPECT_LT(ws.MemoryBytes(), layout + arcs);
  }
  // Built again after the next costly run in a frame it serves.
  (void)RunDmpRegion(two_way, init, all, opt, &ws);
  EXPECT_EQ(ws.pair_layout_bytes(), layout);
  EXPECT_GE(ws.Release(), layout);
  EXPECT_EQ(ws.pair_layout_bytes(), 0u);
}

// Without recovery (q = 0) and with p = 0.5 on a small graph with cycles,
// the messages overshoot: P_S goes negative and so do thetas. dmp.cc then
// takes a cavity whose reverse theta is not above kDmpTinyTheta as the
// explicit product, not P_S / theta; the pair kernel hands such a run back
// (before, it only caught a theta of exactly 0 and served a risk of 0.2856
// where dmp.cc gives 1). A start before 0 at a node the run sees (not a
// source) is handed back as well, the state clean.
TEST(PairDmpTest, ExplicitCavitiesAndEarlyStartsAreHandedBack) {
  TransmissionGraph g =
      testing::BuildGraph(testing::RandomGraph(6, 12, 1), Direction::kBoth, 2.0, 0.3);
  for (double& p : g.p) p = 0.5;
  for (double& q : g.q) q = 0.0;
  g.generation.value = 9;
  ASSERT_TRUE(PairDmp::SupportsGraph(g));
  InitialState init;
  init.p_s.assign(g.node_count, 1.0);
  init.p_i.assign(g.node_count, 0.0);
  init.p_r.assign(g.node_count, 0.0);
  for (const NodeIndex v : {0u, 1u}) {
    init.p_i[v] = 0.9;
    init.p_s[v] = 0.1;
  }
  const std::vector<NodeIndex> sources{0, 1};
  const DmpOptions opt{.horizon = 30, .tolerance = 0};
  Workspace plain;
  plain.set_pair_kernel(false);
  plain.Prepare(g);
  const Outputs want = RunBoth(g, init, sources, opt, &plain, false);
  // The premise: some P_S went negative.
  EXPECT_TRUE(std::any_of(want.trajectories.begin(), want.trajectories.end(),
                          [](double ps) { return ps < 0; }));

  PairDmp pairs(g);
  DmpRegion out;
  EXPECT_EQ(pairs.Run(g, init, sources, opt, &out, nullptr, nullptr),
            PairDmp::PairRun::kExplicitCavity);
  // Through RunDmpRegion, the third run on a workspace (the first two
  // build the layout): the arc kernel's outputs. Returns the pair
  // kernel's runs.
  const auto third_run = [&](const TransmissionGraph& graph, const std::string& what) {
    Workspace ws, arcs;
    arcs.set_pair_kernel(false);
    ws.Prepare(graph);
    arcs.Prepare(graph);
    (void)RunDmpRegion(graph, init, sources, opt, &ws);
    (void)RunDmpRegion(graph, init, sources, opt, &ws);
    ExpectSame(RunBoth(graph, init, sources, opt, &ws, true),
               RunBoth(graph, init, sources, opt, &arcs, true), what);
    return ws.pair_runs();
  };
  EXPECT_EQ(third_run(g, "explicit cavity"), 0u);

  // The same graph with recovery: no overshoot, served; a seen node (not
  // a source) starting before 0 hands the run back, the state clean.
  for (double& q : g.q) q = 0.5;
  g.generation.value = 10;
  EXPECT_EQ(third_run(g, "recovery"), 1u);
  plain.Prepare(g);
  InitialState early = init;
  early.start.assign(g.node_count, 0);
  early.start[g.node_count - 1] = -1;
  PairDmp fresh(g);
  EXPECT_EQ(fresh.Run(g, early, sources, opt, &out, nullptr, nullptr),
            PairDmp::PairRun::kStartBeforeZero);
  // Left clean: the next run is served with dmp.cc's outputs.
  EXPECT_EQ(fresh.Run(g, init, sources, opt, &out, nullptr, nullptr), PairDmp::PairRun::kServed);
  EXPECT_EQ(out.risk, RunBoth(g, init, sources, opt, &plain, false).region.risk);
}

}  // namespace
}  // namespace riskd::engine
