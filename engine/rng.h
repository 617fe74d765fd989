// Counter-based random numbers for the Monte Carlo projections.
//
// Philox2x64-7 (Salmon, Moraes, Dror & Shaw, "Parallel random numbers: as
// easy as 1, 2, 3", SC'11) maps a 128-bit counter and a 64-bit key to 128
// random bits with no state in between. The engine uses it so that every
// random quantity of realization k is a pure function of (seed, k, what it
// is for, which node or edge): nothing is stored, any realization can be
// replayed, and two projections with the same seed use the same numbers for
// the same node or edge (common random numbers). That makes results
// deterministic, makes incremental updates reproduce a full recompute
// exactly, and couples scenarios monotonically (a larger infection rate
// shortens every transmission delay of every realization).
//
// Why Philox2x64 with 7 rounds (docs/model.md section 6): Random123 sets
// each generator's default rounds with a margin above the fewest that pass
// all of TestU01's SmallCrush, Crush and BigCrush, and documents no known
// statistical flaw for Philox2x64 with 6 rounds or more (its philox.h); its
// default of 10 is a margin of four, 7 keeps one and has published known
// answers. A round is one 64x64 -> 128-bit multiply, a single instruction on
// x86-64 and AArch64, where Philox4x32's is two 32x32 -> 64-bit ones on
// half-width words: a third of the time per number of the Philox4x32-10
// used before (bench/README.md, "Monte Carlo profile").
//
// Thread-safety: everything here is a pure function; a CounterRng is
// immutable.
#ifndef RISKD_ENGINE_RNG_H_
#define RISKD_ENGINE_RNG_H_

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>

namespace riskd::engine {

using PhiloxBlock = std::array<std::uint64_t, 2>;

// The high and low 64 bits of a * b.
inline void MulHiLo64(std::uint64_t a, std::uint64_t b, std::uint64_t* hi, std::uint64_t* lo) {
  __extension__ using Wide = unsigned __int128;  // GCC and Clang on 64-bit targets
  const Wide product = static_cast<Wide>(a) * b;
  *hi = static_cast<std::uint64_t>(product >> 64);
  *lo = static_cast<std::uint64_t>(product);
}

// One Philox2x64 round and the key schedule (the Random123 constants).
inline constexpr std::uint64_t kPhiloxM2x64 = 0xD2B74407B1CE6E93u;
inline constexpr std::uint64_t kPhiloxW64 = 0x9E3779B97F4A7C15u;  // golden ratio
inline void PhiloxRound(std::uint64_t key, std::uint64_t* c0, std::uint64_t* c1) {
  std::uint64_t hi, lo;
  MulHiLo64(kPhiloxM2x64, *c0, &hi, &lo);
  *c0 = hi ^ key ^ *c1;
  *c1 = lo;
}

// The rounds of the engine's generator (above).
inline constexpr int kPhiloxRounds = 7;

// The Philox2x64 bijection with `Rounds` rounds (Random123's
// philox2x64_R(Rounds, counter, key)).
template <int Rounds = kPhiloxRounds>
inline PhiloxBlock Philox2x64(PhiloxBlock counter, std::uint64_t key) {
  for (int round = 0; round < Rounds; ++round) {
    if (round > 0) key += kPhiloxW64;
    PhiloxRound(key, &counter[0], &counter[1]);
  }
  return counter;
}

// What a random number is used for; part of the counter, so the streams
// never overlap.
enum class RandomStream : std::uint32_t {
  kInitialState = 1,  // per node: is a partly disrupted source infected?
  kInfectious = 2,    // per node: length of its infectious period
  kTransmission = 3,  // per (source, target): transmission delay
  kSource = 4,        // per realization: a random source node (tests, igraph)
};

// Uniform numbers in (0, 1] for (realization, stream, a, b) under a seed:
// Philox2x64-7 of the counter {realization | stream << 32, a << 32 | b}
// keyed by the seed, the top 53 bits of its first word.
class CounterRng {
 public:
  explicit CounterRng(std::uint64_t seed) : key_(seed) {}

  double Uniform(std::uint32_t realization, RandomStream stream, std::uint32_t a,
                 std::uint32_t b = 0) const {
    return ToUniform(Philox2x64({High(realization, stream), std::uint64_t{a} << 32 | b}, key_)[0]);
  }

  // Uniform(realization, stream, a, b[x]) into out[x] for x < count: the
  // same numbers, four at a time (a round is a chain of dependent
  // multiplies; chains side by side keep the multiplier busy).
  void UniformMany(std::uint32_t realization, RandomStream stream, std::uint32_t a,
                   const std::uint32_t* b, std::size_t count, double* out) const {
    const std::uint64_t high = High(realization, stream), a_bits = std::uint64_t{a} << 32;
    std::size_t x = 0;
    for (; x + 4 <= count; x += 4)
      Lanes(std::make_index_sequence<4>(), high, a_bits, b + x, out + x);
    if (x + 2 <= count) {
      Lanes(std::make_index_sequence<2>(), high, a_bits, b + x, out + x);
      x += 2;
    }
    if (x < count) out[x] = Uniform(realization, stream, a, b[x]);
  }

  // An exponential delay with the given rate: -ln(u) / rate; +inf if the
  // rate is 0. The same u for a larger rate gives a shorter delay.
  double Exponential(double rate, std::uint32_t realization, RandomStream stream, std::uint32_t a,
                     std::uint32_t b = 0) const {
    if (!(rate > 0)) return std::numeric_limits<double>::infinity();
    return -std::log(Uniform(realization, stream, a, b)) / rate;
  }

 private:
  static std::uint64_t High(std::uint32_t realization, RandomStream stream) {
    return std::uint64_t{realization} | std::uint64_t{static_cast<std::uint32_t>(stream)} << 32;
  }
  // Philox2x64-7 of the counters {high, a_bits | b[I]} into out[I], the
  // lanes' rounds interleaved (constant indices: the lanes live in
  // registers).
  template <std::size_t... I>
  void Lanes(std::index_sequence<I...>, std::uint64_t high, std::uint64_t a_bits,
             const std::uint32_t* b, double* out) const {
    std::uint64_t c0[] = {(static_cast<void>(I), high)...};
    std::uint64_t c1[] = {(a_bits | b[I])...};
    std::uint64_t key = key_;
    for (int round = 0; round < kPhiloxRounds; ++round) {
      if (round > 0) key += kPhiloxW64;
      (PhiloxRound(key, &c0[I], &c1[I]), ...);
    }
    ((out[I] = ToUniform(c0[I])), ...);
  }
  // The top 53 bits onto (0, 1].
  static double ToUniform(std::uint64_t bits) {
    return (static_cast<double>(bits >> 11) + 1.0) * 0x1.0p-53;
  }

  std::uint64_t key_;
};

// The discrete-time counterpart of an exponential delay x: the step count
// floor(x) + 1 >= 1 is geometric with success probability 1 - exp(-rate),
// which is how per-step probabilities p = 1 - exp(-rate) are sampled.
// Saturates at max_steps + 1 (meaning "later than anything that matters").
inline std::int64_t StepsFromDelay(double delay, std::int64_t max_steps) {
  if (!(delay < static_cast<double>(max_steps))) return max_steps + 1;
  return static_cast<std::int64_t>(delay) + 1;
}

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_RNG_H_
