// EventIdFilter: a Bloom filter over the journal's event ids, so that the
// ingest path asks SQLite "was this id seen?" only when the answer may be
// yes. A "no" is certain; a "maybe" is checked against the journal. Sized at
// 16 bits per expected id with 6 hash functions (false positives about
// 0.1%); when more ids than expected arrive, the owner rebuilds it twice as
// large from the journal.
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
  void Add(std::string_view id);
  std::size_t count() const { return count_; }
  // True when count() passed the size the filter was built for; the owner
  // then rebuilds a larger one from the full id list.
  bool Saturated() const { return count_ > capacity_; }
  std::size_t capacity() const { return capacity_; }

 private:
  static constexpr int kHashes = 6;
  std::vector<std::uint64_t> bits_;
  std::uint64_t mask_;  // bit count - 1 (a power of two)
  std::size_t capacity_;
  std::size_t count_ = 0;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_STORE_EVENT_ID_FILTER_H_
