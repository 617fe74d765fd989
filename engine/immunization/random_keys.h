// Seeded pseudo-random numbers for the immunization strategies.
//
// NodeKey(seed, stream, n) is a pure function (SplitMix64 finalizer of its
// arguments), so a strategy's tie-breaking and random draws do not depend on
// the order in which nodes are visited, and the same seed gives the same
// targets on every platform (no std:: distributions, whose output is
// implementation-defined). SplitMix64 is the sequential generator used where
// draws are naturally sequential (graph generators).
#ifndef RISKD_ENGINE_IMMUNIZATION_RANDOM_KEYS_H_
#define RISKD_ENGINE_IMMUNIZATION_RANDOM_KEYS_H_

#include <cstdint>

namespace riskd::engine::immunization {

inline std::uint64_t Mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Independent streams per purpose, so e.g. tie keys and acquaintance draws
// made from the same seed are unrelated.
enum class KeyStream : std::uint64_t { kTieBreak = 1, kRandomOrder, kAcquaintance, kPivots };

inline std::uint64_t NodeKey(std::uint64_t seed, KeyStream stream, std::uint64_t node) {
  return Mix64(Mix64(seed ^ Mix64(static_cast<std::uint64_t>(stream))) ^ node);
}

// Uniform in (0, 1): 53 random bits, offset by half a step so 0 never occurs.
inline double ToOpenUnit(std::uint64_t bits) {
  return (static_cast<double>(bits >> 11) + 0.5) * 0x1.0p-53;
}

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    const std::uint64_t x = state_;
    state_ += 0x9e3779b97f4a7c15ULL;
    return Mix64(x);
  }
  // Uniform in [0, bound), without modulo bias. REQUIRES: bound > 0
  std::uint64_t Below(std::uint64_t bound) {
    const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % bound);
    std::uint64_t x;
    do {
      x = Next();
    } while (x >= limit);
    return x % bound;
  }
  double Uniform() { return ToOpenUnit(Next()); }

 private:
  std::uint64_t state_;
};

}  // namespace riskd::engine::immunization

#endif  // RISKD_ENGINE_IMMUNIZATION_RANDOM_KEYS_H_
