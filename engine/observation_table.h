// What the reports say about every node slot now (Observation), stored
// sparsely: almost every node of a large network is susceptible with no
// report, so a dense std::vector<Observation> (32 bytes per slot, 3.2 MB per
// risk type on 100k nodes) was nearly all copies of Observation{}. Here a
// slot costs one byte, and only the observations that differ from the
// default are kept in a hash map (~72 bytes each with the allocator's and
// the bucket's share: past ~44% of the slots observed, e.g. a hazard over
// a whole region, this costs more than the dense vector did, and the
// buckets stay sized for it). Reads return the same values a dense vector
// would (tests).
//
// Thread-safety: none; const methods may be called concurrently.
#ifndef RISKD_ENGINE_OBSERVATION_TABLE_H_
#define RISKD_ENGINE_OBSERVATION_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "engine/network.h"
#include "engine/state.h"

namespace riskd::engine {

class ObservationTable {
 public:
  // Node slots covered; every slot reads as Observation{} until Set.
  std::size_t size() const { return stored_.size(); }
  // New slots read as Observation{}; slots past n are dropped.
  void Resize(std::size_t n) {
    for (std::size_t v = n; v < stored_.size(); ++v) {
      if (stored_[v]) others_.erase(static_cast<NodeIndex>(v));
    }
    stored_.resize(n, 0);
  }

  // REQUIRES: v < size().
  const Observation& operator[](NodeIndex v) const {
    static constexpr Observation kDefault{};
    return stored_[v] ? others_.find(v)->second : kDefault;
  }

  // REQUIRES: v < size().
  void Set(NodeIndex v, const Observation& o) {
    if (IsDefault(o)) {
      if (stored_[v]) others_.erase(v);
      stored_[v] = 0;
    } else {
      others_[v] = o;
      stored_[v] = 1;
    }
  }

  // Slots whose observation is not Observation{}.
  std::size_t stored_count() const { return others_.size(); }

 private:
  static bool IsDefault(const Observation& o) {
    const Observation d{};
    return o.state == d.state && o.severity == d.severity && o.since == d.since &&
           o.until == d.until;
  }

  std::vector<std::uint8_t> stored_;  // 1: the slot's observation is in others_
  std::unordered_map<NodeIndex, Observation> others_;
};

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_OBSERVATION_TABLE_H_
