#include "connectors/store/event_id_filter.h"

namespace riskd::connectors {
namespace {

// Splitmix64's finalizer: every output bit depends on every input bit.
std::uint64_t Mix(std::uint64_t h) {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

// 64-bit FNV-1a, mixed: it picks the block; a second mix of it picks the
// bits in the block, so the two do not share bits at any filter size.
std::uint64_t Fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return Mix(h);  // FNV's low bits mix poorly
}

}  // namespace

EventIdFilter::EventIdFilter(std::size_t expected_ids) : capacity_(expected_ids) {
  std::uint64_t bits = 1 << 16;
  while (bits < 16 * static_cast<std::uint64_t>(expected_ids)) bits <<= 1;
  bits_.assign(bits / 64, 0);
  block_mask_ = bits / 64 / kWordsPerBlock - 1;
}

EventIdFilter::Probe EventIdFilter::ProbeFor(std::string_view id) const {
  const std::uint64_t h = Fnv1a(id);
  Probe probe;
  probe.first_word = static_cast<std::size_t>((h & block_mask_) * kWordsPerBlock);
  std::uint64_t in_block = Mix(h ^ 0x9e3779b97f4a7c15ull);  // 6 x 9 bits of it
  for (int i = 0; i < kHashes; ++i) {
    probe.bit[i] = static_cast<std::uint16_t>(in_block & 511);
    in_block >>= 9;
  }
  return probe;
}

bool EventIdFilter::MayContain(std::string_view id) const {
  const Probe probe = ProbeFor(id);
  const std::uint64_t* block = &bits_[probe.first_word];
  for (const std::uint16_t bit : probe.bit) {
    if (!(block[bit >> 6] & (std::uint64_t{1} << (bit & 63)))) return false;
  }
  return true;
}

void EventIdFilter::Prefetch(std::string_view id) const {
  __builtin_prefetch(&bits_[ProbeFor(id).first_word], 1);
}

void EventIdFilter::Add(std::string_view id) {
  const Probe probe = ProbeFor(id);
  std::uint64_t* block = &bits_[probe.first_word];
  for (const std::uint16_t bit : probe.bit) block[bit >> 6] |= std::uint64_t{1} << (bit & 63);
  ++count_;
}

}  // namespace riskd::connectors
