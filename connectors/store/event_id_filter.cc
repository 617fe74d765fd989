#include "connectors/store/event_id_filter.h"

namespace riskd::connectors {
namespace {

// 64-bit FNV-1a, then split into two halves for double hashing
// (Kirsch & Mitzenmacher 2006): h_i = h1 + i * h2.
std::uint64_t Fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  // Final avalanche (splitmix64), since FNV's low bits mix poorly.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

}  // namespace

EventIdFilter::EventIdFilter(std::size_t expected_ids) : capacity_(expected_ids) {
  std::uint64_t bits = 1 << 16;
  while (bits < 16 * static_cast<std::uint64_t>(expected_ids)) bits <<= 1;
  bits_.assign(bits / 64, 0);
  mask_ = bits - 1;
}

bool EventIdFilter::MayContain(std::string_view id) const {
  const std::uint64_t h = Fnv1a(id);
  const std::uint64_t h1 = h, h2 = (h >> 32) | 1;
  for (int i = 0; i < kHashes; ++i) {
    const std::uint64_t bit = (h1 + static_cast<std::uint64_t>(i) * h2) & mask_;
    if (!(bits_[bit >> 6] & (std::uint64_t{1} << (bit & 63)))) return false;
  }
  return true;
}

void EventIdFilter::Add(std::string_view id) {
  const std::uint64_t h = Fnv1a(id);
  const std::uint64_t h1 = h, h2 = (h >> 32) | 1;
  for (int i = 0; i < kHashes; ++i) {
    const std::uint64_t bit = (h1 + static_cast<std::uint64_t>(i) * h2) & mask_;
    bits_[bit >> 6] |= std::uint64_t{1} << (bit & 63);
  }
  ++count_;
}

}  // namespace riskd::connectors
