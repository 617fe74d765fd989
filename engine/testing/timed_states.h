// Random times for projection inputs (state.h): the onset steps, shields,
// ends and fixed periods the engine's clock produces, for the tests that
// check every method against exact enumeration and against each other.
#ifndef RISKD_ENGINE_TESTING_TIMED_STATES_H_
#define RISKD_ENGINE_TESTING_TIMED_STATES_H_

#include <cstdint>

#include "engine/state.h"

namespace riskd::engine::testing {

// Gives `state` (no times yet) a frame with now = `now`, at random with a
// fixed seed: each source (P_I > 0) starts at a step in 0..now, and a third
// of them have a fixed period ending within the window or before now; a
// quarter of the other nodes are shielded until a step in 1..now (reported
// normal), and a tenth of them are removed at a step in 1..now + horizon
// (reported recovered).
void AddRandomTimes(InitialState* state, int now, int horizon, std::uint64_t seed);

}  // namespace riskd::engine::testing

#endif  // RISKD_ENGINE_TESTING_TIMED_STATES_H_
