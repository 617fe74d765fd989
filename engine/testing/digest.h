// A 64-bit FNV-1a digest for tests and benchmarks that pin results to those
// of a reference implementation: feed it every value a result holds, in a
// fixed order, and compare the digest with the one the reference gave. A
// double is fed as its bits, so a digest tells apart values that compare
// equal only approximately. Not for hashing untrusted input (FNV-1a is not
// collision resistant). Not thread-safe: one digest per thread.
#ifndef RISKD_ENGINE_TESTING_DIGEST_H_
#define RISKD_ENGINE_TESTING_DIGEST_H_

#include <cstdint>
#include <cstring>

namespace riskd::engine::testing {

class Fnv1aDigest {
 public:
  // Mixes the eight bytes of `value`, least significant first.
  void Mix(std::uint64_t value) {
    for (int b = 0; b < 8; ++b) {
      hash_ ^= (value >> (8 * b)) & 0xff;
      hash_ *= kPrime;
    }
  }
  // Mixes the bits of `value` (IEEE 754), not its rounded value.
  void MixBits(double value) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    Mix(bits);
  }
  std::uint64_t value() const { return hash_; }

 private:
  static constexpr std::uint64_t kOffsetBasis = 14695981039346656037ull;
  static constexpr std::uint64_t kPrime = 1099511628211ull;
  std::uint64_t hash_ = kOffsetBasis;
};

}  // namespace riskd::engine::testing

#endif  // RISKD_ENGINE_TESTING_DIGEST_H_
