// A random change to an engine, one of every kind the engine accepts: the
// driver of the "incremental equals a full recompute" tests.
#ifndef RISKD_ENGINE_TESTING_RANDOM_CHANGES_H_
#define RISKD_ENGINE_TESTING_RANDOM_CHANGES_H_

#include <cstdint>
#include <random>

#include "engine/engine.h"

namespace riskd::engine::testing {

class RandomChanges {
 public:
  struct Options {
    std::uint64_t seed = 1;
    // Never add an edge whose reverse exists on the material or data layer
    // (keeps one-way risk types free of reverse edges).
    bool one_way = false;
    // The model clock too: reports at event steps up to 6 before now (some
    // before the frame's start, some before the history window), a third of
    // the disruptions with an expected duration, and ticks (1 in 13).
    bool clock = false;
  };
  explicit RandomChanges(Options options) : options_(options), rng_(options.seed) {}

  // Applies a batch of one to three random changes to `engine` (what one
  // projection then covers), each on risk type 0 or 1: a
  // disruption (3 in 12), a recovery, a status back to susceptible, an
  // immunization, a node added with an edge, a node removed, an edge added,
  // removed or re-weighted, or an inventory change (and with `clock`, a
  // tick). Rejections (e.g. an edge that already exists) are fine: the
  // engine must stay consistent.
  // REQUIRES: the engine has two risk types and a live node.
  void ApplyBatch(Engine& engine);

 private:
  void Apply(Engine& engine);
  std::size_t Pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }
  NodeIndex AliveNode(const Network& network);

  Options options_;
  std::mt19937_64 rng_;
  int added_ = 0;
};

}  // namespace riskd::engine::testing

#endif  // RISKD_ENGINE_TESTING_RANDOM_CHANGES_H_
