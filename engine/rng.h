// Counter-based random numbers for the Monte Carlo projections.
//
// Philox4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random numbers: as
// easy as 1, 2, 3", SC'11) maps a 128-bit counter and a 64-bit key to 128
// random bits with no state in between. The engine uses it so that every
// random quantity of realization k is a pure function of (seed, k, what it
// is for, which node or edge): nothing is stored, any realization can be
// replayed, and two projections with the same seed use the same numbers for
// the same node or edge (common random numbers). That makes results
// deterministic, makes incremental updates reproduce a full recompute
// exactly, and couples scenarios monotonically (a larger infection rate
// shortens every transmission delay of every realization).
#ifndef RISKD_ENGINE_RNG_H_
#define RISKD_ENGINE_RNG_H_

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace riskd::engine {

using PhiloxBlock = std::array<std::uint32_t, 4>;
using PhiloxKey = std::array<std::uint32_t, 2>;

// The Philox4x32 bijection with 10 rounds (the Random123 reference).
inline PhiloxBlock Philox4x32(PhiloxBlock counter, PhiloxKey key) {
  constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key[0] += kW0;
      key[1] += kW1;
    }
    const std::uint64_t p0 = std::uint64_t{kM0} * counter[0];
    const std::uint64_t p1 = std::uint64_t{kM1} * counter[2];
    const auto hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
    const auto hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
    counter = {hi1 ^ counter[1] ^ key[0], lo1, hi0 ^ counter[3] ^ key[1], lo0};
  }
  return counter;
}

// Philox4x32-10 of N counters {c0, c1, c2, c3[x]} (the first three shared)
// in lockstep: the rounds of one block are a chain of dependent multiplies,
// so computing several side by side keeps the multiplier busy (and lets the
// compiler use vector multiplies). Block x is Philox4x32({c0, c1, c2,
// c3[x]}, key); its first two words are written to out[2x], out[2x + 1].
template <std::size_t N>
inline void Philox4x32Lanes(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2,
                            const std::uint32_t* c3, PhiloxKey key, std::uint32_t* out) {
  constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  std::uint32_t x0[N], x1[N], x2[N], x3[N];
  for (std::size_t x = 0; x < N; ++x) {
    x0[x] = c0;
    x1[x] = c1;
    x2[x] = c2;
    x3[x] = c3[x];
  }
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key[0] += kW0;
      key[1] += kW1;
    }
    for (std::size_t x = 0; x < N; ++x) {
      const std::uint64_t p0 = std::uint64_t{kM0} * x0[x];
      const std::uint64_t p1 = std::uint64_t{kM1} * x2[x];
      const auto hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
      const auto hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
      x0[x] = hi1 ^ x1[x] ^ key[0];
      x1[x] = lo1;
      x2[x] = hi0 ^ x3[x] ^ key[1];
      x3[x] = lo0;
    }
  }
  for (std::size_t x = 0; x < N; ++x) {
    out[2 * x] = x0[x];
    out[2 * x + 1] = x1[x];
  }
}

// What a random number is used for; part of the counter, so the streams
// never overlap.
enum class RandomStream : std::uint32_t {
  kInitialState = 1,  // per node: is a partly disrupted source infected?
  kInfectious = 2,    // per node: length of its infectious period
  kTransmission = 3,  // per (source, target): transmission delay
  kSource = 4,        // per realization: a random source node (tests, igraph)
};

// Uniform numbers in (0, 1] for (realization, stream, a, b) under a seed.
class CounterRng {
 public:
  explicit CounterRng(std::uint64_t seed)
      : key_{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)} {}

  double Uniform(std::uint32_t realization, RandomStream stream, std::uint32_t a,
                 std::uint32_t b = 0) const {
    const PhiloxBlock out =
        Philox4x32({realization, static_cast<std::uint32_t>(stream), a, b}, key_);
    return ToUniform(out[0], out[1]);
  }

  // Uniform(realization, stream, a, b[x]) into out[x] for x < count: the
  // same numbers, computed four at a time.
  void UniformMany(std::uint32_t realization, RandomStream stream, std::uint32_t a,
                   const std::uint32_t* b, std::size_t count, double* out) const {
    const auto s = static_cast<std::uint32_t>(stream);
    std::uint32_t words[8];
    std::size_t x = 0;
    for (; x + 4 <= count; x += 4) {
      Philox4x32Lanes<4>(realization, s, a, b + x, key_, words);
      for (std::size_t y = 0; y < 4; ++y) out[x + y] = ToUniform(words[2 * y], words[2 * y + 1]);
    }
    if (x + 2 <= count) {
      Philox4x32Lanes<2>(realization, s, a, b + x, key_, words);
      for (std::size_t y = 0; y < 2; ++y) out[x + y] = ToUniform(words[2 * y], words[2 * y + 1]);
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
  // 53 bits of two words onto (0, 1].
  static double ToUniform(std::uint32_t hi, std::uint32_t lo) {
    const std::uint64_t bits = (std::uint64_t{hi} << 32 | lo) >> 11;
    return (static_cast<double>(bits) + 1.0) * 0x1.0p-53;
  }

  PhiloxKey key_;
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
