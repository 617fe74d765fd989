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
    const std::uint64_t bits = (std::uint64_t{out[0]} << 32 | out[1]) >> 11;  // 53 bits
    return (static_cast<double>(bits) + 1.0) * 0x1.0p-53;
  }

  // An exponential delay with the given rate: -ln(u) / rate; +inf if the
  // rate is 0. The same u for a larger rate gives a shorter delay.
  double Exponential(double rate, std::uint32_t realization, RandomStream stream,
                     std::uint32_t a, std::uint32_t b = 0) const {
    if (!(rate > 0)) return std::numeric_limits<double>::infinity();
    return -std::log(Uniform(realization, stream, a, b)) / rate;
  }

 private:
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
