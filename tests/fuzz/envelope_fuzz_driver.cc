// A deterministic, bounded fuzz run for the test suite (no libFuzzer
// needed): mutates a seed corpus of valid Envelopes of every kind (bit flips,
// byte changes, insertions, deletions, truncation, splicing) with a fixed
// seed and feeds each result to the fuzz target. Under ASan+UBSan in CI this
// checks that no input crashes the validation and apply path.
//   envelope_fuzz_driver [iterations] [seed]
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "tests/fuzz/envelope_seeds.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" void RiskdFuzzReach(std::uint64_t* parsed, std::uint64_t* valid, std::uint64_t* applied);

int main(int argc, char** argv) {
  const long iterations = argc > 1 ? std::atol(argv[1]) : 200000;
  std::mt19937_64 rng(argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 20261123);
  const auto corpus = riskd::fuzz::EnvelopeSeeds();
  for (const auto& s : corpus)
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  for (long i = 0; i < iterations; ++i) {
    std::string in = corpus[rng() % corpus.size()];
    const int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations; ++m) {
      const std::size_t at = in.empty() ? 0 : rng() % in.size();
      switch (rng() % 6) {
        case 0:
          if (!in.empty()) in[at] = static_cast<char>(in[at] ^ (1 << (rng() % 8)));
          break;
        case 1:
          if (!in.empty()) in[at] = static_cast<char>(rng());
          break;
        case 2:
          in.insert(at, 1, static_cast<char>(rng()));
          break;
        case 3:
          if (!in.empty()) in.erase(at, 1 + rng() % 4);
          break;
        case 4:
          in.resize(at);
          break;
        default: {
          const std::string& other = corpus[rng() % corpus.size()];
          in.insert(at, other.substr(rng() % other.size()));
        }
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(in.data()), in.size());
  }
  std::uint64_t parsed = 0, valid = 0, applied = 0;
  RiskdFuzzReach(&parsed, &valid, &applied);
  std::printf(
      "envelope fuzz: %ld inputs (%llu parsed, %llu valid, %llu applied), no invariant violated\n",
      iterations + static_cast<long>(corpus.size()), static_cast<unsigned long long>(parsed),
      static_cast<unsigned long long>(valid), static_cast<unsigned long long>(applied));
  // A campaign that never gets past the parser or the validator tests little.
  return valid > static_cast<std::uint64_t>(iterations) / 100 && applied > 0 ? 0 : 1;
}
