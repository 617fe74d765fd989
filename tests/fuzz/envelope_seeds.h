// Valid Envelopes of every kind, serialized, on the small network of the
// envelope fuzz target (nodes A..F): the seeds of the deterministic driver
// and of the libFuzzer corpus (fuzz_seed_corpus).
#ifndef RISKD_TESTS_FUZZ_ENVELOPE_SEEDS_H_
#define RISKD_TESTS_FUZZ_ENVELOPE_SEEDS_H_

#include <string>
#include <vector>

namespace riskd::fuzz {

std::vector<std::string> EnvelopeSeeds();

}  // namespace riskd::fuzz

#endif  // RISKD_TESTS_FUZZ_ENVELOPE_SEEDS_H_
