#include "engine/testing/continuous_sir.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>

#include "engine/rng.h"

namespace riskd::engine {
namespace {}  // namespace

// Radix heap (Ahuja, Mehlhorn, Orlin & Tarjan 1990) over the bits of
// non-negative doubles, which order like the numbers: Dijkstra's pops never
// decrease, so an item only ever moves to lower buckets, in O(1) amortized
// per move, reading and writing its bucket sequentially (a binary heap's
// sift touches a cache line per level; a 4-ary heap measured 87 ns per
// event against 62 in the branch's driver, bench/README.md). Buckets go
// by 4-bit digits rather than bits: a key's bucket is the highest digit
// where it differs from the base last_ and the key's value at that digit
// (16 buckets per digit, ordered as their keys). When the lowest bucket is
// emptied, its least key as the new base agrees with its items through
// that digit, so they all move below it, and every other bucket stays
// valid (the new base agrees with their keys above their digit and is
// below them at it). An item moved on ~2.7 times on the bench's graph
// against ~5.5 with a bucket per bit: `mc_ct_ms` 7% less, the same pops in
// the same order (bench/README.md, "mcfast"). The lowest bucket, when it
// holds a few items, is sorted into a run instead of redistributed. Pushes
// below the run's largest key join the run; past kRunSorted items the run
// becomes a binary heap, so a node of high degree popped from a short run
// costs O(log n) per push, not an insertion sort of everything pushed
// before it (quadratic: a hub with 50k leaves popped from a run of two
// took seconds per realization).
class RadixHeap {
 public:
  bool empty() const { return size_ == 0; }
  void clear() {
    for (auto& b : buckets_) b.clear();
    size_ = 0;
    last_ = 0;
    nonempty_.fill(0);
    run_.clear();
    run_is_heap_ = false;
  }
  struct Item {
    std::uint64_t key;  // the time's bits
    NodeIndex node;
    EdgeIndex row;  // where the node's row (its length, then its arcs) starts: a pop
                    // needs not read its record
  };
  // REQUIRES: time >= the last popped time.
  void Push(double time, NodeIndex v, EdgeIndex row) {
    const Item item{std::bit_cast<std::uint64_t>(time), v, row};
    ++size_;
    if (item.key < last_) {  // below the run's largest: into the run
      run_.push_back(item);
      if (!run_is_heap_ && run_.size() <= kRunSorted) {
        Sink(run_.size() - 1);
        return;
      }
      if (!run_is_heap_) {
        std::make_heap(run_.begin(), run_.end(), LaterKey);
        run_is_heap_ = true;
      } else {
        std::push_heap(run_.begin(), run_.end(), LaterKey);
      }
      return;
    }
    Put(item);
  }
  // The item of least time.
  Item Pop() {
    if (!run_.empty()) {
      if (run_is_heap_) std::pop_heap(run_.begin(), run_.end(), LaterKey);
      const auto item = run_.back();
      run_.pop_back();
      run_is_heap_ = run_is_heap_ && !run_.empty();
      --size_;
      return item;
    }
    if (buckets_[0].empty()) {
      // The lowest non-empty bucket (a bit per bucket: no scan of the empty
      // ones); its least key becomes the new base and its items move down.
      std::size_t word = 0;
      while (nonempty_[word] == 0) ++word;
      const auto b = word * 64 + static_cast<std::size_t>(std::countr_zero(nonempty_[word])) + 1;
      nonempty_[word] &= nonempty_[word] - 1;  // b is the lowest: its bit goes
      auto& from = buckets_[b];
      if (from.size() <= kRun) {
        // A few items: sorted once rather than moved down bucket by bucket.
        // Any key of bucket b is a valid base for the buckets above it; the
        // largest keeps the run below every bucket.
        run_.assign(from.begin(), from.end());
        from.clear();
        for (std::size_t x = 1; x < run_.size(); ++x) Sink(x);
        last_ = run_.front().key;
        const auto item = run_.back();
        run_.pop_back();
        --size_;
        return item;
      }
      std::uint64_t least = from.front().key;
      for (const auto& item : from) least = std::min(least, item.key);
      last_ = least;
      for (const auto& item : from) Put(item);
      from.clear();
    }
    const auto item = buckets_[0].back();
    buckets_[0].pop_back();
    --size_;
    return item;
  }

 private:
  void Put(const Item& item) {
    const std::size_t b = Bucket(item.key);
    buckets_[b].push_back(item);
    if (b > 0) nonempty_[(b - 1) / 64] |= std::uint64_t{1} << ((b - 1) % 64);
  }
  // A min-heap's order for std::push_heap and std::pop_heap.
  static bool LaterKey(const Item& a, const Item& b) { return a.key > b.key; }
  // Moves run_[x] towards the front past the smaller keys (insertion sort).
  void Sink(std::size_t x) {
    const Item item = run_[x];
    for (; x > 0 && run_[x - 1].key < item.key; --x) run_[x] = run_[x - 1];
    run_[x] = item;
  }
  // 0 for last_, else 1 + the highest digit where the key differs from
  // last_ times kDigitValues, plus the key's value there.
  std::size_t Bucket(std::uint64_t key) const {
    if (key == last_) return 0;
    const auto digit = static_cast<std::size_t>(63 - std::countl_zero(key ^ last_)) / kDigitBits;
    return 1 + digit * kDigitValues + (key >> (digit * kDigitBits) & (kDigitValues - 1));
  }

  static constexpr std::size_t kDigitBits = 4;
  static constexpr std::size_t kDigitValues = std::size_t{1} << kDigitBits;
  static constexpr std::size_t kBuckets = 1 + (64 + kDigitBits - 1) / kDigitBits * kDigitValues;
  std::array<std::vector<Item>, kBuckets> buckets_;
  std::size_t size_ = 0;
  std::uint64_t last_ = 0;
  // Bit b - 1: bucket b > 0 holds items.
  std::array<std::uint64_t, (kBuckets - 1 + 63) / 64> nonempty_{};
  // Items at or below last_ (the front was the bucket's largest), popped
  // before any bucket's: by decreasing key (the least popped from the end)
  // while at most kRunSorted, a binary min-heap (run_is_heap_) after. Not
  // empty only after a bucket of at most kRun items was sorted.
  std::vector<Item> run_;
  bool run_is_heap_ = false;
  // kRun: 2, 3, 6 and 8 measured slower than 4 (commit 140278d); with
  // digit buckets 2, 8 and 16 measured within 2% of it.
  static constexpr std::size_t kRun = 4;
  static constexpr std::size_t kRunSorted = 8;
};

ContinuousSir::~ContinuousSir() = default;

ContinuousRates ModelRates(const TransmissionGraph& g, const RiskType& type,
                           const Vulnerability& vul) {
  ContinuousRates r;
  r.edge_rate.reserve(g.edge_count());
  for (NodeIndex j = 0; j < g.node_count; ++j) {
    for (EdgeIndex e = g.in_begin(j); e < g.in_end(j); ++e) {
      r.edge_rate.push_back(type.alpha * g.share[e] * vul.sigma[j]);
    }
  }
  r.recovery_rate.assign(g.node_count, 0.0);
  for (NodeIndex i = 0; i < g.node_count; ++i) r.recovery_rate[i] = type.beta * vul.rho[i];
  return r;
}

ContinuousRates UniformRates(const TransmissionGraph& g, double beta, double gamma) {
  ContinuousRates r;
  r.edge_rate.assign(g.edge_count(), beta);
  r.recovery_rate.assign(g.node_count, gamma);
  return r;
}

ContinuousSir::ContinuousSir(const TransmissionGraph& g, const ContinuousRates& rates,
                             std::uint64_t seed)
    : seed_(seed), heap_(std::make_unique<RadixHeap>()) {
  // The arcs in out-row order, each row's length first: row i starts at
  // out_offsets[i] + i. One pass without per-arc capacity checks (filling
  // from the in-rows instead, sequential reads and scattered writes, took
  // 3.0 ms against 1.7: the writes' cursors are read-modify-writes).
  // Rows are indexed by EdgeIndex: lengths and arcs together must fit.
  if (std::uint64_t{g.node_count} + g.edge_count() > std::numeric_limits<EdgeIndex>::max()) {
    std::abort();  // REQUIRES in the header: a test graph, never this large
  }
  nodes_.resize(g.node_count);
  settled_.assign((g.node_count + 63) / 64, 0);
  arcs_.resize(g.node_count + g.edge_count());
  NodeIndex* arc = arcs_.data();
  for (NodeIndex i = 0; i < g.node_count; ++i) {
    const EdgeIndex begin = g.out_offsets[i], end = g.out_offsets[i + 1];
    nodes_[i].row = begin + i;
    *arc++ = end - begin;
    for (EdgeIndex x = begin; x < end; ++x) *arc++ = g.out_targets[x];
  }
  // Uniform rates (igraph's model) need no per-edge or per-node lookups.
  auto uniform = [](const std::vector<double>& v) {
    return std::adjacent_find(v.begin(), v.end(), std::not_equal_to<>()) == v.end();
  };
  if (uniform(rates.edge_rate)) {
    uniform_edge_rate_ = rates.edge_rate.empty() ? 0.0 : rates.edge_rate.front();
  } else {
    arc_rate_.reserve(arcs_.size());
    for (NodeIndex i = 0; i < g.node_count; ++i) {
      arc_rate_.push_back(0);  // the length's slot
      for (EdgeIndex e : g.out(i)) arc_rate_.push_back(rates.edge_rate[e]);
    }
  }
  if (uniform(rates.recovery_rate)) {
    uniform_recovery_rate_ = rates.recovery_rate.empty() ? 0.0 : rates.recovery_rate.front();
  } else {
    recovery_rate_ = rates.recovery_rate;
  }
  if (g.has_latency) latency_.assign(g.latency.begin(), g.latency.end());
}

std::size_t ContinuousSir::Run(std::uint32_t k, std::span<const NodeIndex> sources,
                               double horizon) {
  const CounterRng rng(seed_);
  for (NodeIndex v : reached_) settled_[v >> 6] = 0;
  reached_.clear();
  heap_->clear();
  work_ = 0;
  if (++run_ == 0) {  // the stamps wrapped: none may look current
    for (NodeState& n : nodes_) n.run = 0;
    run_ = 1;
  }
  const std::uint32_t run = run_;
  for (NodeIndex s : sources) {
    NodeState& source = nodes_[s];
    if (source.run == run) continue;  // listed twice
    source = {0.0, source.row, run};
    reached_.push_back(s);
    heap_->Push(0.0, s, source.row);
  }
  std::size_t infected = 0;
  while (!heap_->empty()) {
    const auto item = heap_->Pop();
    const NodeIndex v = item.node;
    // Settled: this item's time was superseded by a smaller one, popped
    // before (the times pushed for a node strictly decrease).
    if (settled_[v >> 6] >> (v & 63) & 1) continue;
    settled_[v >> 6] |= std::uint64_t{1} << (v & 63);
    const double t = std::bit_cast<double>(item.key);
    ++infected;
    const NodeIndex* row = arcs_.data() + item.row + 1;
    const std::size_t degree = row[-1];
    work_ += degree;
    const double recovery = recovery_rate_.empty() ? uniform_recovery_rate_ : recovery_rate_[v];
    const double infectious = rng.Exponential(recovery, k, RandomStream::kInfectious, v);
    // The arcs whose target is not settled yet (a settled node's time is at
    // most t, so nothing from here improves it); their numbers are drawn
    // together (CounterRng::UniformMany: the same ones as one at a time).
    // The bit set is 1/128 of the records' size and stays in the closest
    // cache: no target's record is read but for the arcs that transmit.
    if (targets_.size() < degree) {
      targets_.resize(degree);
      positions_.resize(degree);
      uniforms_.resize(degree);
    }
    std::size_t open = 0;
    for (std::size_t c = 0; c < degree; ++c) {
      const NodeIndex j = row[c];
      targets_[open] = j;
      positions_[open] = static_cast<std::uint32_t>(c);  // read for per-arc rates only
      open += (settled_[j >> 6] >> (j & 63) & 1) ^ 1;
    }
    rng.UniformMany(k, RandomStream::kTransmission, v, targets_.data(), open, uniforms_.data());
    // delay = -ln(u) / rate < infectious  <=>  u > exp(-rate * infectious):
    // one exp per distinct rate, a log only for actual transmissions.
    const double* row_rate = arc_rate_.empty() ? nullptr : arc_rate_.data() + item.row + 1;
    double rate = uniform_edge_rate_;
    double survive = std::exp(-rate * infectious);  // 1 (nothing passes) for rate 0
    for (std::size_t c = 0; c < open; ++c) {
      if (row_rate != nullptr && row_rate[positions_[c]] != rate) {
        rate = row_rate[positions_[c]];
        survive = std::exp(-rate * infectious);
      }
      const double u = uniforms_[c];
      if (!(u > survive)) continue;
      const double delay = -std::log(u) / rate;
      if (!(delay < infectious)) continue;  // rounding at the boundary
      const NodeIndex j = targets_[c];
      const double latency = latency_.empty() ? 0.0 : latency_[j];
      const double onset = t + delay + latency;
      NodeState& target = nodes_[j];
      const bool reached = target.run == run;
      if (onset > horizon || (reached && onset >= target.time)) continue;
      if (!reached) {
        reached_.push_back(j);
        target.run = run;
      }
      target.time = onset;
      // Its row is read when it is popped: start the load now, while the
      // heap's earlier items are processed.
      __builtin_prefetch(arcs_.data() + target.row);
      heap_->Push(onset, j, target.row);
    }
  }
  return infected;
}

}  // namespace riskd::engine
