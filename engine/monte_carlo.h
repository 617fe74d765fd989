// Monte Carlo projection of the discrete-time SIR model of engine/dmp.h with
// common random numbers (docs/model.md section 6).
//
// Realization k is fixed by pure functions of (seed, k, node or edge) from
// the counter-based generator of engine/rng.h, nothing stored:
//   - a partly disrupted source v (0 < P_I(0) < 1) is infected at t = 0 when
//     U(k, v) <= P_I^v(0) (recovered when U <= P_I + P_R, else susceptible);
//   - v's infectious period is D_v = floor(Exp(mu_v)) + 1 steps,
//     mu_v = -ln(1 - q_v), i.e. geometric with per-step recovery q_v;
//   - the first step at which v would infect j is K_vj = floor(Exp(lambda_vj))
//     + 1, lambda_vj = -ln(1 - p_vj), geometric with per-step probability p_vj.
// Then v infects j iff K_vj <= D_v, and onset times are shortest paths:
//   a_j = min over infecting v of (a_v + K_vj) + L_j,
// computed per realization with a bucket queue over t = 0..T. This is the
// same law as stepping the model (attempts at successive steps of v's
// infectious period are independent Bernoulli(p_vj)), so DMP equals it on
// trees and exact enumeration equals it everywhere.
//
// Time (state.h): realizations run over the frame's steps 0 .. now + T. A
// source is infected at its start step; a node infectious from a_v stays so
// min(D_v, end_v - a_v) steps (end_v - a_v for a fixed period); an attempt
// on a shielded j counts from max(a_v, start_j), so the first success lands
// at max(a_v, start_j) + K_vj; nothing is infected at or after its end. A
// node counts as disrupted in the window [now, window end] when its onset
// is there or it is still infectious at now; onset counts are relative to
// now.
//
// A run can be restricted to a region (projection.h): infections of nodes
// outside it are not followed. A run gathers a node's arcs inside the
// region the first time it spreads, 6 bytes each: the target's region index
// and a 16-bit bracket of the rate -ln(1 - p) (RateBracket), not the rate
// (8 bytes: a check of the daemon's hub region gathers ~1M arcs). The
// bracket decides K_vj whenever both its ends give the same steps, and the
// rate is computed from the graph's p only for the few draws they do not:
// the realizations are those of the exact rates, bit for bit.
#ifndef RISKD_ENGINE_MONTE_CARLO_H_
#define RISKD_ENGINE_MONTE_CARLO_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "engine/state.h"
#include "engine/transmission.h"

namespace riskd::engine {

struct MonteCarloOptions {
  // Horizon T in steps, >= 1.
  int horizon = 30;
  // Seed of the counter-based generator; same seed, same realizations.
  std::uint64_t seed = 0x7269736b64;  // "riskd"
};

// Per-entry counts of realizations, stored by bytes: one byte each while no
// count can pass 255 (a check of the daemon's hub region makes ~60
// realizations: a quarter of the memory of 32-bit counts over most of the
// network), a second byte array added before a count could pass 255 and a
// 16-bit one before it could pass 65535 (Reserve). Widening allocates the
// new high part only: the counts already made stay where they are, so the
// peak never holds two copies.
class RealizationCounts {
 public:
  // `size` counts of 0, one byte each.
  void Assign(std::size_t size);
  // Makes room for counts up to `realizations`.
  void Reserve(std::uint32_t realizations);
  std::size_t size() const { return low_.size(); }
  // Counts can pass 65535 (32 bits).
  bool wide() const { return !high_.empty(); }
  // Bytes per count now: 1, 2 or 4.
  int bytes_per_count() const { return high_.empty() ? (mid_.empty() ? 1 : 2) : 4; }
  std::size_t MemoryBytes() const {
    return low_.capacity() + mid_.capacity() + high_.capacity() * sizeof(std::uint16_t);
  }
  std::uint32_t operator[](std::size_t i) const {
    std::uint32_t count = low_[i];
    if (!mid_.empty()) count |= std::uint32_t{mid_[i]} << 8;
    if (!high_.empty()) count |= std::uint32_t{high_[i]} << 16;
    return count;
  }
  void Increment(std::size_t i) {
    if (++low_[i] == 0) Carry(i);  // once in 256 increments
  }

 private:
  void Carry(std::size_t i) {
    if (++mid_[i] == 0) ++high_[i];
  }

  std::vector<std::uint8_t> low_;    // bits 0-7
  std::vector<std::uint8_t> mid_;    // bits 8-15, once counts can pass 255
  std::vector<std::uint16_t> high_;  // bits 16-31, once counts can pass 65535
};

// Outcomes accumulated over realizations 0..realizations-1 on a region.
struct MonteCarloTally {
  int horizon = 0;
  std::vector<NodeIndex> nodes;  // the region
  // Per entry of `nodes`: realizations in which it was disrupted by T.
  RealizationCounts disrupted;
  // Per entry of `nodes`, T+1 counts: realizations with onset at t.
  RealizationCounts onset_counts;
  // Per entry x of `nodes`, per in-edge of nodes[x] (from
  // infector_offsets[x]): realizations in which that edge infected it.
  std::vector<std::uint32_t> infector_offsets;
  RealizationCounts infector_counts;
  // Per realization: number of region nodes disrupted by T.
  std::vector<std::uint32_t> sizes;
  std::uint32_t realizations = 0;
  // Out-edges examined, summed over realizations.
  std::uint64_t work = 0;
  // Bytes allocated for the region's arcs by one RunMonteCarlo call (6 per
  // arc inside the region whose source spread, in chunks of 4096 arcs or one
  // node's), the largest over the calls.
  std::uint64_t peak_arc_bytes = 0;
  // Bytes the tally holds (the region, counts, offsets and sizes); a check
  // holds this, its arcs (peak_arc_bytes) and ~14 bytes per region entry
  // (the workspace, the run's per-entry latency and times).
  std::size_t MemoryBytes() const;

  double Risk(std::size_t x) const;
  // First t with P(onset <= t) >= 0.5, else -1.
  int Eta(std::size_t x) const;
  // The in-neighbour that most often infected nodes[x], or kNoNode.
  NodeIndex Parent(const TransmissionGraph& graph, std::size_t x) const;
};

// A 16-bit bracket of a transmission rate: RateBracketLow(b) <= rate <
// RateBracketLow(b + 1), 11 significant bits over the binades 2^-25 ..
// 2^7 (relative width <= 2^-11), or kNoRateBracket for a rate outside them
// (0, infinite, or p < ~3e-8). A draw's delay E / rate then lies between
// E / RateBracketLow(b + 1) and E / RateBracketLow(b) (division rounds
// monotonically), so when both give the same steps, so does the rate.
inline constexpr std::uint16_t kNoRateBracket = 0xffff;
std::uint16_t RateBracket(double rate);
double RateBracketLow(std::uint32_t bracket);

// An empty tally over `nodes` (distinct alive node indices).
MonteCarloTally MakeTally(const TransmissionGraph& graph, std::span<const NodeIndex> nodes,
                          int horizon);

// Per-node scratch arrays, kept clean between runs.
class MonteCarloWorkspace {
 public:
  void Prepare(const TransmissionGraph& graph);
  std::size_t MemoryBytes() const;

 private:
  friend class DiscreteRun;
  std::vector<std::int32_t> local_;      // node -> index in the region, -1 outside
  std::vector<std::int32_t> onset_;      // per region entry, during a realization
  std::vector<std::uint32_t> infector_;  // per region entry: who infected it
  std::vector<std::uint32_t> reached_;
  std::vector<std::uint32_t> sampled_;  // region entries with P_S(0) < 1
  std::vector<std::vector<std::uint32_t>> buckets_;
};

// Asked before each realization of an interruptible run: true stops it.
// The caller's (e.g. the daemon's "an event is waiting"); it should be cheap
// next to one realization.
using InterruptRequested = std::function<bool()>;

// Adds realizations tally->realizations .. until-1, stopping early (after
// at least one) once tally->work exceeds max_work. With `interrupt`, also
// stops before any realization it asks to; returns false then (the tally
// holds the realizations done so far), true otherwise.
// REQUIRES: tally made for this graph with options.horizon; workspace
// prepared for the graph.
bool RunMonteCarlo(const TransmissionGraph& graph, const InitialState& initial,
                   const MonteCarloOptions& options, std::uint32_t until, std::uint64_t max_work,
                   MonteCarloTally* tally, MonteCarloWorkspace* workspace,
                   const InterruptRequested& interrupt = nullptr);

// Whole-graph summary of `realizations` runs (tests and benchmarks).
struct MonteCarloResult {
  std::vector<double> risk;  // per node slot
  std::vector<int> eta;
  std::vector<NodeIndex> parent;
  std::vector<std::uint32_t> sizes;  // per realization
  double expected_disrupted = 0;
};
MonteCarloResult RunMonteCarlo(const TransmissionGraph& graph, const InitialState& initial,
                               const MonteCarloOptions& options, std::uint32_t realizations);

// The q-quantile (0 <= q <= 1) of values, nearest rank; 0 when empty.
// One order statistic: nth_element puts there the value a sort would, in
// linear time (every round publishes a few of these over thousands of
// realizations; a sort of them was ~6% of the engine thread under load).
template <typename T>
double NearestRankQuantile(std::vector<T> values, double q) {
  if (values.empty()) return 0;
  const double rank = std::ceil(q * static_cast<double>(values.size()));
  const std::size_t index =
      rank < 1 ? 0 : std::min(values.size(), static_cast<std::size_t>(rank)) - 1;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index),
                   values.end());
  return static_cast<double>(values[index]);
}
// NearestRankQuantile of realization sizes.
double SizeQuantile(std::vector<std::uint32_t> sizes, double q);

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_MONTE_CARLO_H_
