// EventIdFilter: a Bloom filter over the journal's event ids, so that the
// ingest path asks SQLite "was this id seen?" only when the answer may be
// yes. A "no" is certain; a "maybe" is checked against the journal. Sized at
// 16 bits per expected id with 6 hash functions; when more ids than expected
// arrive, the owner rebuilds it twice as large from the journal.
//
// Blocked (Putze, Sanders & Singler 2007): an id's 6 bits all lie in one
// 64-byte block, so a lookup or an insert touches one cache line instead of
// six. The filter (2 MB for 2^20 ids) does not fit in cache, and six misses
// per id were the ingest thread's largest single cost in a profile. The
// price is a slightly higher false-positive rate (about 0.15% instead of
// 0.1% at 16 bits per id), i.e. a few more SQLite lookups.
//
// Not thread-safe: the journal's owner (the ingest thread) uses it.
#ifndef RISKD_CONNECTORS_STORE_EVENT_ID_FILTER_H_
#define RISKD_CONNECTORS_STORE_EVENT_ID_FILTER_H_

#include <cstdint>
#include <string_view>
#include <vector>

namespace riskd::connectors {

class EventIdFilter {
 public:
  // REQUIRES: expected_ids >= 1.
  explicit EventIdFilter(std::size_t expected_ids = 1 << 20);

  bool MayContain(std::string_view id) const;
  // Starts loading the id's block into the cache (a hint, no effect on the
  // answers): callers with many ids to look up or add prefetch them all
  // first, so that their cache misses overlap instead of queueing.
  void Prefetch(std::string_view id) const;
  void Add(std::string_view id);
  std::size_t count() const { return count_; }
  // True when count() passed the size the filter was built for; the owner
  // then rebuilds a larger one from the full id list.
  bool Saturated() const { return count_ > capacity_; }
  std::size_t capacity() const { return capacity_; }

 private:
  static constexpr int kHashes = 6;
  static constexpr std::uint64_t kWordsPerBlock = 8;  // 512 bits, one cache line
  // The id's block (its first word) and the 6 bits' positions in it.
  struct Probe {
    std::size_t first_word;
    std::uint16_t bit[kHashes];
  };
  Probe ProbeFor(std::string_view id) const;

  std::vector<std::uint64_t> bits_;
  std::uint64_t block_mask_;  // block count - 1 (a power of two)
  std::size_t capacity_;
  std::size_t count_ = 0;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_STORE_EVENT_ID_FILTER_H_
