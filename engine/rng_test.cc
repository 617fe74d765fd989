#include "engine/rng.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace riskd::engine {
namespace {

// Random123's known-answer vectors (tests/kat_vectors) for philox2x64 with
// 7 rounds (the engine's) and 10 (the library's default).
TEST(RngTest, PhiloxMatchesRandom123KnownAnswers) {
  static_assert(kPhiloxRounds == 7);
  EXPECT_EQ(Philox2x64<10>({0, 0}, 0), (PhiloxBlock{0xca00a0459843d731, 0x66c24222c9a845b5}));
  EXPECT_EQ(Philox2x64<10>({~0ull, ~0ull}, ~0ull),
            (PhiloxBlock{0x65b021d60cd8310f, 0x4d02f3222f86df20}));
  EXPECT_EQ(Philox2x64<10>({0x243f6a8885a308d3, 0x13198a2e03707344}, 0xa4093822299f31d0),
            (PhiloxBlock{0x0a5e742c2997341c, 0xb0f883d38000de5d}));
  EXPECT_EQ(Philox2x64({0, 0}, 0), (PhiloxBlock{0xb41da69fbfefc666, 0x511e9ce1a5534056}));
  EXPECT_EQ(Philox2x64({~0ull, ~0ull}, ~0ull),
            (PhiloxBlock{0xa4696cc04462015d, 0x724782dae17169e9}));
  EXPECT_EQ(Philox2x64({0x243f6a8885a308d3, 0x13198a2e03707344}, 0xa4093822299f31d0),
            (PhiloxBlock{0x98ed1534392bf372, 0x67528b1568882fd5}));
}

TEST(RngTest, UniformIsAPureFunctionOfItsCounter) {
  const CounterRng a(7), b(7), c(8);
  EXPECT_EQ(a.Uniform(3, RandomStream::kTransmission, 5, 9),
            b.Uniform(3, RandomStream::kTransmission, 5, 9));
  EXPECT_NE(a.Uniform(3, RandomStream::kTransmission, 5, 9),
            c.Uniform(3, RandomStream::kTransmission, 5, 9));
  EXPECT_NE(a.Uniform(3, RandomStream::kTransmission, 5, 9),
            a.Uniform(3, RandomStream::kInfectious, 5, 9));
}

TEST(RngTest, UniformManyGivesUniformsNumbersForEveryBatchSize) {
  const CounterRng rng(0x5eed);
  std::vector<std::uint32_t> b;
  for (std::uint32_t x = 0; x < 11; ++x) b.push_back(x * 7919 + 3);
  // Every count exercises another mix of 4-, 2- and 1-wide blocks.
  for (std::size_t count = 0; count <= b.size(); ++count) {
    std::vector<double> many(count, -1.0);
    rng.UniformMany(17, RandomStream::kTransmission, 42, b.data(), count, many.data());
    for (std::size_t x = 0; x < count; ++x) {
      EXPECT_EQ(many[x], rng.Uniform(17, RandomStream::kTransmission, 42, b[x]))
          << "count " << count << " x " << x;
    }
  }
}

TEST(RngTest, UniformMomentsAndRange) {
  const CounterRng rng(1);
  const int n = 200000;
  double sum = 0, sum_sq = 0;
  for (int k = 0; k < n; ++k) {
    const double u = rng.Uniform(static_cast<std::uint32_t>(k), RandomStream::kSource, 0);
    ASSERT_GT(u, 0.0);
    ASSERT_LE(u, 1.0);
    sum += u;
    sum_sq += u * u;
  }
  // Mean 1/2 (sd 0.289/sqrt(n)), second moment 1/3 (sd 0.298/sqrt(n)): 5 sigma.
  EXPECT_NEAR(sum / n, 0.5, 5 * 0.289 / std::sqrt(n));
  EXPECT_NEAR(sum_sq / n, 1.0 / 3, 5 * 0.298 / std::sqrt(n));
}

TEST(RngTest, StepsFromExponentialDelayAreGeometric) {
  // P(K = k) = (1-p)^(k-1) p with p = 1 - exp(-rate).
  const CounterRng rng(3);
  const double rate = 0.4, p = 1 - std::exp(-rate);
  const int n = 100000;
  int counts[4] = {0, 0, 0, 0};
  for (int k = 0; k < n; ++k) {
    const auto steps = StepsFromDelay(
        rng.Exponential(rate, static_cast<std::uint32_t>(k), RandomStream::kTransmission, 1, 2), 3);
    ++counts[steps - 1];  // 1, 2, 3, or 4 = "beyond 3"
  }
  const double expect[4] = {p, (1 - p) * p, (1 - p) * (1 - p) * p, std::pow(1 - p, 3)};
  for (int k = 0; k < 4; ++k) {
    EXPECT_NEAR(counts[k] / double(n), expect[k], 5 * std::sqrt(expect[k] * (1 - expect[k]) / n))
        << k;
  }
  EXPECT_EQ(StepsFromDelay(std::numeric_limits<double>::infinity(), 30), 31);
  EXPECT_EQ(StepsFromDelay(0.0, 30), 1);
}

}  // namespace
}  // namespace riskd::engine
