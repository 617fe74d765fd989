#include "engine/monte_carlo.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <span>

#include "engine/rng.h"

namespace riskd::engine {
namespace {

constexpr std::int32_t kUnreached = std::numeric_limits<std::int32_t>::max();
constexpr std::int32_t kBlocked = -1;  // recovered at t = 0: never infected
constexpr std::uint32_t kNoInfector = ~std::uint32_t{0};

// RateBracket's layout: the float exponent field less kFirstBinade (5 bits)
// over the top 11 bits of the float mantissa.
constexpr std::uint32_t kFirstBinade = 127 - 25;
constexpr int kBracketMantissaBits = 11;
constexpr int kDroppedBits = 23 - kBracketMantissaBits;
// 1 - 2^-11: a bracket's low end over its high end is at least 2048 / 2049.
constexpr double kBracketShrink = 1.0 - 1.0 / 2048;

}  // namespace

std::uint16_t RateBracket(double rate) {
  if (!(rate > 0) || !(rate < 128)) return kNoRateBracket;
  // The float at or below the rate, then its low mantissa bits dropped:
  // still at or below it, and the next bracket above it.
  const float f = static_cast<float>(rate);
  // A positive float's bits less one: the float below it.
  const std::uint32_t bits =
      std::bit_cast<std::uint32_t>(f) - (static_cast<double>(f) > rate ? 1u : 0u);
  const std::uint32_t binade = bits >> 23;
  if (binade < kFirstBinade) return kNoRateBracket;
  const std::uint32_t bracket =
      (binade - kFirstBinade) << kBracketMantissaBits | (bits & 0x7fffff) >> kDroppedBits;
  return bracket >= kNoRateBracket ? kNoRateBracket : static_cast<std::uint16_t>(bracket);
}

double RateBracketLow(std::uint32_t bracket) {
  const std::uint32_t binade = (bracket >> kBracketMantissaBits) + kFirstBinade;
  const std::uint32_t mantissa = bracket & ((1u << kBracketMantissaBits) - 1);
  return static_cast<double>(std::bit_cast<float>(binade << 23 | mantissa << kDroppedBits));
}

void RealizationCounts::Assign(std::size_t size) {
  mid_.clear();
  mid_.shrink_to_fit();
  high_.clear();
  high_.shrink_to_fit();
  low_.assign(size, 0);
}

void RealizationCounts::Reserve(std::uint32_t realizations) {
  if (realizations > std::numeric_limits<std::uint8_t>::max() && mid_.empty()) {
    mid_.assign(low_.size(), 0);
  }
  if (realizations > std::numeric_limits<std::uint16_t>::max() && high_.empty()) {
    high_.assign(low_.size(), 0);
  }
}

double MonteCarloTally::Risk(std::size_t x) const {
  return realizations == 0 ? 0.0 : static_cast<double>(disrupted[x]) / realizations;
}

int MonteCarloTally::Eta(std::size_t x) const {
  const std::size_t stride = static_cast<std::size_t>(horizon) + 1;
  std::uint64_t cumulative = 0;
  for (int t = 0; t <= horizon; ++t) {
    cumulative += onset_counts[x * stride + static_cast<std::size_t>(t)];
    if (realizations > 0 && 2 * cumulative >= realizations) return t;
  }
  return -1;
}

NodeIndex MonteCarloTally::Parent(const TransmissionGraph& g, std::size_t x) const {
  const NodeIndex v = nodes[x];
  std::uint32_t best = 0;
  NodeIndex parent = kNoNode;
  for (std::uint32_t s = infector_offsets[x]; s < infector_offsets[x + 1]; ++s) {
    if (infector_counts[s] > best) {
      best = infector_counts[s];
      parent = g.source[g.in_begin(v) + (s - infector_offsets[x])];
    }
  }
  return parent;
}

std::size_t MonteCarloTally::MemoryBytes() const {
  return nodes.capacity() * sizeof(NodeIndex) + disrupted.MemoryBytes() +
         onset_counts.MemoryBytes() + infector_offsets.capacity() * sizeof(std::uint32_t) +
         infector_counts.MemoryBytes() + sizes.capacity() * sizeof(std::uint32_t);
}

MonteCarloTally MakeTally(const TransmissionGraph& g, std::span<const NodeIndex> nodes,
                          int horizon) {
  MonteCarloTally t;
  t.horizon = horizon;
  t.nodes.assign(nodes.begin(), nodes.end());
  t.disrupted.Assign(nodes.size());
  t.onset_counts.Assign(nodes.size() * (static_cast<std::size_t>(horizon) + 1));
  t.infector_offsets.assign(nodes.size() + 1, 0);
  for (std::size_t x = 0; x < nodes.size(); ++x) {
    t.infector_offsets[x + 1] = t.infector_offsets[x] + (g.in_end(nodes[x]) - g.in_begin(nodes[x]));
  }
  t.infector_counts.Assign(t.infector_offsets.back());
  return t;
}

void MonteCarloWorkspace::Prepare(const TransmissionGraph& g) {
  if (local_.size() < g.node_count) local_.resize(g.node_count, -1);
}

std::size_t MonteCarloWorkspace::MemoryBytes() const {
  std::size_t bytes =
      (local_.capacity() + onset_.capacity()) * sizeof(std::int32_t) +
      (infector_.capacity() + reached_.capacity() + sampled_.capacity()) * sizeof(std::uint32_t) +
      buckets_.capacity() * sizeof(buckets_[0]);
  for (const auto& bucket : buckets_) bytes += bucket.capacity() * sizeof(std::uint32_t);
  return bytes;
}

// Realizations over one tally's region.
class DiscreteRun {
 public:
  DiscreteRun(const TransmissionGraph& g, const InitialState& init, const MonteCarloOptions& opt,
              MonteCarloTally* tally, MonteCarloWorkspace* ws)
      : g_(g),
        init_(init),
        rng_(opt.seed),
        T_(opt.horizon),
        N_(init.now),
        H_(init.now + opt.horizon),
        tally_(*tally),
        w_(*ws) {
    const std::size_t size = tally_.nodes.size();
    w_.sampled_.clear();
    for (std::size_t x = 0; x < size; ++x) {
      const NodeIndex v = tally_.nodes[x];
      w_.local_[v] = static_cast<std::int32_t>(x);
      if (init_.p_s[v] < 1) w_.sampled_.push_back(static_cast<std::uint32_t>(x));
    }
    w_.onset_.assign(size, kUnreached);
    w_.infector_.assign(size, kNoInfector);
    w_.buckets_.resize(static_cast<std::size_t>(H_) + 1);
    if (!init_.start.empty() || !init_.end.empty()) {
      start_.resize(size);
      end_.resize(size);
      for (std::size_t x = 0; x < size; ++x) {
        start_[x] = init_.Start(tally_.nodes[x]);
        end_[x] = init_.End(tally_.nodes[x]);
      }
    }
    // The region's out-edges, with what a realization reads, are gathered
    // per node the first time it spreads (Arcs): a check of a big region
    // whose outbreaks stay small reads a few nodes' edges, not the region's.
    arc_spans_.assign(size, ArcSpan{});
    latency_.resize(size);
    for (std::size_t x = 0; x < size; ++x) latency_[x] = g_.latency[tally_.nodes[x]];
  }
  ~DiscreteRun() {
    for (NodeIndex v : tally_.nodes) w_.local_[v] = -1;
    std::uint64_t arc_bytes = 0;
    for (const ArcChunk& chunk : arc_chunks_) {
      arc_bytes += chunk.local_target.capacity() * sizeof(std::uint32_t) +
                   chunk.rate_bracket.capacity() * sizeof(std::uint16_t);
    }
    tally_.peak_arc_bytes = std::max(tally_.peak_arc_bytes, arc_bytes);
  }
  DiscreteRun(const DiscreteRun&) = delete;
  DiscreteRun& operator=(const DiscreteRun&) = delete;

  void Realize(std::uint32_t k) {
    // Counts reach at most k + 1 here: room is made before they could.
    tally_.disrupted.Reserve(k + 1);
    tally_.onset_counts.Reserve(k + 1);
    tally_.infector_counts.Reserve(k + 1);
    std::uint32_t size = 0;
    for (std::uint32_t x : w_.sampled_) {
      const NodeIndex v = tally_.nodes[x];
      const double u = rng_.Uniform(k, RandomStream::kInitialState, v);
      if (u <= init_.p_i[v]) {
        // Observed: infectious from its start, no onset delay.
        if (Start(x) < End(x)) Reach(x, Start(x), kNoInfector);
      } else if (u <= init_.p_i[v] + init_.p_r[v] || init_.p_s[v] == 0) {
        w_.onset_[x] = kBlocked;
        w_.reached_.push_back(x);
      }
    }
    for (int t = 0; t <= H_; ++t) {
      auto& bucket = w_.buckets_[static_cast<std::size_t>(t)];
      for (std::size_t b = 0; b < bucket.size(); ++b) {
        const std::uint32_t x = bucket[b];
        if (w_.onset_[x] != t) continue;  // superseded by an earlier onset
        // Infectious over steps t .. t + period - 1, and disrupted in the
        // window [now, window end] unless it recovered before now (the
        // onset is within the window end: later ones are never reached).
        std::int64_t period = -1;  // drawn when needed
        if (t < N_) {
          period = Period(k, x, t);
          if (t + period <= N_) {
            Spread(k, x, t, period);
            continue;
          }
        }
        ++size;
        Record(x, t);
        Spread(k, x, t, period);
      }
      bucket.clear();
    }
    tally_.sizes.push_back(size);
    ++tally_.realizations;
    for (std::uint32_t x : w_.reached_) {
      w_.onset_[x] = kUnreached;
      w_.infector_[x] = kNoInfector;
    }
    w_.reached_.clear();
  }

 private:
  int Start(std::uint32_t x) const { return start_.empty() ? 0 : start_[x]; }
  int End(std::uint32_t x) const { return end_.empty() ? InitialState::kNever : end_[x]; }

  void Reach(std::uint32_t x, int t, std::uint32_t infector) {
    if (w_.onset_[x] == kUnreached) w_.reached_.push_back(x);
    w_.onset_[x] = t;
    w_.infector_[x] = infector;
    w_.buckets_[static_cast<std::size_t>(t)].push_back(x);
  }

  // Steps node x, infectious from t, stays infectious: geometric with its
  // recovery q (a pure function of the realization and the node), cut at
  // its end; exactly until its end for a fixed period.
  std::int64_t Period(std::uint32_t k, std::uint32_t x, int t) const {
    const NodeIndex v = tally_.nodes[x];
    const double q = init_.Fixed(v) ? 0.0 : g_.q[v];
    const std::int64_t drawn =
        StepsFromDelay(rng_.Exponential(GeometricRate(q), k, RandomStream::kInfectious, v), H_);
    return std::min<std::int64_t>(drawn, static_cast<std::int64_t>(End(x)) - t);
  }

  void Record(std::uint32_t x, int t) {
    tally_.disrupted.Increment(x);
    tally_.onset_counts.Increment(x * (static_cast<std::size_t>(T_) + 1) +
                                  static_cast<std::size_t>(std::max(0, t - N_)));
    if (w_.infector_[x] != kNoInfector) {
      tally_.infector_counts.Increment(tally_.infector_offsets[x] +
                                       InSlot(tally_.nodes[x], tally_.nodes[w_.infector_[x]]));
    }
  }

  // The position of the edge source -> target among target's in-edges,
  // which are ordered by source (transmission.h).
  std::uint32_t InSlot(NodeIndex target, NodeIndex source) const {
    const NodeIndex* first = g_.source.data() + g_.in_begin(target);
    const NodeIndex* last = g_.source.data() + g_.in_end(target);
    return static_cast<std::uint32_t>(std::lower_bound(first, last, source) - first);
  }

  // A node's arcs inside the region, as parallel arrays: 6 bytes per arc
  // (a region can hold most of the edges). The target's node (for the
  // random-number key), latency and times are per region entry; the edge
  // (for its p when the bracket does not decide a draw, and the in-edge an
  // infection came through) is looked up when needed (InSlot).
  struct ArcRow {
    const std::uint32_t* local_target;  // index in the region
    const std::uint16_t* rate_bracket;  // RateBracket of -ln(1 - p)
    std::uint32_t count;
  };

  // The arcs of region entry x, gathered on first use in out-edge order:
  // the same arcs in the same order whenever they are gathered, so the
  // realizations do not depend on it. Chunks, not one growing array: a
  // node's arcs never move, and a Monte Carlo that reaches most of a big
  // region holds its arcs once, not a doubled buffer.
  ArcRow Arcs(std::uint32_t x) {
    ArcSpan& span = arc_spans_[x];
    if (span.count == kNotGathered) {
      const OutEdges out = g_.out(tally_.nodes[x]);
      if (arc_chunks_.empty() ||
          arc_chunks_.back().local_target.capacity() - arc_chunks_.back().local_target.size() <
              out.size()) {
        ArcChunk& chunk = arc_chunks_.emplace_back();
        chunk.local_target.reserve(std::max(kArcChunk, out.size()));
        chunk.rate_bracket.reserve(std::max(kArcChunk, out.size()));
      }
      ArcChunk& chunk = arc_chunks_.back();
      span.chunk = static_cast<std::uint32_t>(arc_chunks_.size() - 1);
      span.first = static_cast<std::uint32_t>(chunk.local_target.size());
      const std::span<const NodeIndex> targets = g_.successors(tally_.nodes[x]);
      // Without stored out-edge ids each arc's is found in its target's
      // in-row: fetch the row's offset, then the row, a few arcs ahead.
      const bool find_ids = g_.out_edges.empty();
      for (std::size_t y = 0; y < out.size(); ++y) {
        if (find_ids) {
          if (y + 2 * kArcPrefetch < out.size())
            __builtin_prefetch(&g_.in_offsets[targets[y + 2 * kArcPrefetch]]);
          if (y + kArcPrefetch < out.size())
            __builtin_prefetch(g_.source.data() + g_.in_offsets[targets[y + kArcPrefetch]]);
        }
        const std::int32_t xj = w_.local_[targets[y]];
        if (xj < 0) continue;  // outside the region
        chunk.local_target.push_back(static_cast<std::uint32_t>(xj));
        chunk.rate_bracket.push_back(RateBracket(GeometricRate(g_.p[out[y]])));
      }
      span.count = static_cast<std::uint32_t>(chunk.local_target.size() - span.first);
    }
    const ArcChunk& chunk = arc_chunks_[span.chunk];
    return {chunk.local_target.data() + span.first, chunk.rate_bracket.data() + span.first,
            span.count};
  }

  // The edge v -> j: the position of v among j's in-edge sources (ordered,
  // transmission.h).
  EdgeIndex EdgeOf(NodeIndex v, NodeIndex j) const { return g_.in_begin(j) + InSlot(j, v); }

  // K_vj of the arc (steps, capped at H_ + 1): -ln(U) / rate floored, the
  // rate's bracket deciding it whenever it can. With lo = RateBracketLow(b)
  // <= rate < hi = RateBracketLow(b + 1) and hi / lo <= 1 + 2^-11, the
  // delay the rate gives, fl(E / rate), is at most d = fl(E / lo) and at
  // least fl(d * (1 - 2^-11)) (the divisions round monotonically; the
  // factor leaves more than the roundings' 2^-52 to spare), and the steps
  // grow with the delay: when both bounds give the same steps, the rate
  // does too. Else (~0.3% of the draws on the daemon's scale network) the
  // rate is computed from the edge's p.
  std::int64_t TransmissionSteps(std::uint32_t k, NodeIndex v, NodeIndex j,
                                 std::uint16_t bracket) const {
    if (bracket == kNoRateBracket) {
      return StepsFromDelay(
          rng_.Exponential(GeometricRate(g_.p[EdgeOf(v, j)]), k, RandomStream::kTransmission, v, j),
          H_);
    }
    const double e = -std::log(rng_.Uniform(k, RandomStream::kTransmission, v, j));
    const double longest = e / RateBracketLow(bracket);
    const std::int64_t steps = StepsFromDelay(longest, H_);
    if (StepsFromDelay(longest * kBracketShrink, H_) == steps) return steps;
    return StepsFromDelay(e / GeometricRate(g_.p[EdgeOf(v, j)]), H_);
  }

  // Attempts of x, infectious from t for `period` steps (-1: not drawn
  // yet), on its out-neighbours. An attempt on a shielded target counts from
  // its start step on (the first success after it is geometric again).
  void Spread(std::uint32_t k, std::uint32_t x, int t, std::int64_t period) {
    const NodeIndex v = tally_.nodes[x];
    const ArcRow arcs = Arcs(x);
    tally_.work += g_.out(v).size();
    if (arcs.count == 0) return;
    const std::int64_t infectious = period >= 0 ? period : Period(k, x, t);
    for (std::uint32_t c = 0; c < arcs.count; ++c) {
      const std::uint32_t xj = arcs.local_target[c];
      const int latency = latency_[xj];
      const int from = std::max(t, Start(xj));
      const int earliest = from + 1 + latency;
      if (earliest > H_ || w_.onset_[xj] <= earliest) continue;  // includes kBlocked
      const std::int64_t steps = TransmissionSteps(k, v, tally_.nodes[xj], arcs.rate_bracket[c]);
      if (from + steps > t + infectious) continue;
      const std::int64_t onset = from + steps + latency;
      if (onset > H_ || onset >= w_.onset_[xj] || onset >= End(xj)) continue;
      Reach(xj, static_cast<int>(onset), x);
    }
  }

  const TransmissionGraph& g_;
  const InitialState& init_;
  const CounterRng rng_;
  const int T_;  // horizon
  const int N_;  // now, in the frame
  const int H_;  // last step of the frame: now + T
  MonteCarloTally& tally_;
  MonteCarloWorkspace& w_;
  // Per region entry when the state has times: start and end steps.
  std::vector<std::int32_t> start_, end_;
  std::vector<std::uint16_t> latency_;  // per region entry
  static constexpr std::uint32_t kNotGathered = ~std::uint32_t{0};
  static constexpr std::size_t kArcChunk = 4096;
  // Arcs ahead whose target's in-row is fetched while gathering (twice as
  // far ahead its offset).
  static constexpr std::size_t kArcPrefetch = 8;
  struct ArcChunk {
    std::vector<std::uint32_t> local_target;
    std::vector<std::uint16_t> rate_bracket;
  };
  struct ArcSpan {  // where a region entry's arcs are
    std::uint32_t chunk = 0;
    std::uint32_t first = 0;
    std::uint32_t count = kNotGathered;
  };
  std::vector<ArcChunk> arc_chunks_;
  std::vector<ArcSpan> arc_spans_;  // per region entry
};

bool RunMonteCarlo(const TransmissionGraph& g, const InitialState& init,
                   const MonteCarloOptions& opt, std::uint32_t until, std::uint64_t max_work,
                   MonteCarloTally* tally, MonteCarloWorkspace* ws,
                   const InterruptRequested& interrupt) {
  DiscreteRun run(g, init, opt, tally, ws);
  const std::uint32_t first = tally->realizations;
  while (tally->realizations < until) {
    if (tally->realizations > first && tally->work > max_work) break;
    if (interrupt && interrupt()) return false;
    run.Realize(tally->realizations);
  }
  return true;
}

MonteCarloResult RunMonteCarlo(const TransmissionGraph& g, const InitialState& init,
                               const MonteCarloOptions& opt, std::uint32_t realizations) {
  std::vector<NodeIndex> nodes;
  for (NodeIndex v = 0; v < g.node_count; ++v) {
    if (init.p_r[v] < 1) nodes.push_back(v);
  }
  MonteCarloTally tally = MakeTally(g, nodes, opt.horizon);
  MonteCarloWorkspace ws;
  ws.Prepare(g);
  RunMonteCarlo(g, init, opt, realizations, std::numeric_limits<std::uint64_t>::max(), &tally, &ws);
  MonteCarloResult r;
  r.risk.assign(g.node_count, 0.0);
  r.eta.assign(g.node_count, -1);
  r.parent.assign(g.node_count, kNoNode);
  for (std::size_t x = 0; x < nodes.size(); ++x) {
    const double floor = init.EvidenceFloor(nodes[x]);  // as the projector serves it
    r.risk[nodes[x]] = std::max(floor, tally.Risk(x));
    r.eta[nodes[x]] = floor >= 0.5 ? 0 : tally.Eta(x);
    r.parent[nodes[x]] = tally.Parent(g, x);
  }
  for (double p : r.risk) r.expected_disrupted += p;
  r.sizes = std::move(tally.sizes);
  return r;
}

double SizeQuantile(std::vector<std::uint32_t> sizes, double q) {
  return NearestRankQuantile(std::move(sizes), q);
}

}  // namespace riskd::engine
