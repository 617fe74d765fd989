// A deliberately simple SIR cascade simulator for calibration tests and the
// forecast benchmark, independent of the engine's Monte Carlo
// (engine/monte_carlo.h): the discrete-time model is stepped day by day as
// docs/model.md section 3 states it, the continuous-time (Markovian) one
// run event by event. Rates are hazards per step, so one SimModel can be
// run either way. Test and benchmark code only; not thread-safe (callers
// own the generator).
#ifndef RISKD_ENGINE_TESTING_CASCADE_SIMULATOR_H_
#define RISKD_ENGINE_TESTING_CASCADE_SIMULATOR_H_

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "engine/calibration.h"
#include "engine/transmission.h"

namespace riskd::engine::testing {

struct SimArc {
  NodeIndex target = kNoNode;
  double rate = 0;  // transmission hazard per step while the source is infectious
};

struct SimModel {
  std::vector<std::vector<SimArc>> out;  // per node slot
  // Recovery hazard per step, per node (infinity: recovers after one step).
  std::vector<double> recovery_rate;
  // Steps between being hit and becoming disrupted (whole steps when
  // discrete), per node.
  std::vector<double> latency;
  // false: per step t -> t+1 every infectious node infects each susceptible
  // out-neighbour with probability 1 - exp(-rate), then recovers with
  // probability 1 - exp(-recovery_rate) (the engine's model). true:
  // exponential transmission and recovery times.
  bool continuous = false;
};

// The engine's discrete model of a transmission graph: rate = -ln(1 - p),
// recovery rate = -ln(1 - q), latency as in the graph.
SimModel ModelOf(const TransmissionGraph& graph);

struct SimCascade {
  // Per node slot: time it became disrupted (infectious) and recovered;
  // +infinity if not within the horizon. Sources: onset 0.
  std::vector<double> onset, recovery;
};

// One cascade from `sources` (disrupted at time 0), followed to `horizon`.
SimCascade Simulate(const SimModel& model, std::span<const NodeIndex> sources, double horizon,
                    std::mt19937_64& rng);

struct ObserveOptions {
  int end = 30;  // last step observed
  // Each node not disrupted by `end` reports normal at `end` with this
  // probability.
  double normal_report_fraction = 1.0;
};

// What the nodes of a cascade would report, in whole steps: onset step =
// ceil(onset time) (exact for the discrete model), recovery step =
// ceil(recovery time) but at least onset + 1, reported only if <= end.
ObservedCascade Observe(const SimCascade& cascade, std::span<const NodeIndex> sources,
                        const ObserveOptions& options, std::mt19937_64& rng);

// Uniform in [0, 1) from 53 bits of the generator.
inline double Uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

}  // namespace riskd::engine::testing

#endif  // RISKD_ENGINE_TESTING_CASCADE_SIMULATOR_H_
