// RiskType: one kind of risk the engine projects, with its own spread rates,
// the edge layers it travels on and its direction (docs/model.md section 1).
#ifndef RISKD_ENGINE_RISK_TYPE_H_
#define RISKD_ENGINE_RISK_TYPE_H_

#include <string>

#include "base/status.h"
#include "engine/network.h"

namespace riskd::engine {

enum class Direction {
  kDownstream,  // supplier -> customer (a supply shortage)
  kUpstream,    // customer -> supplier (a demand or credit shock)
  kBoth,        // undirected, as in seed 003
};

struct RiskType {
  // [a-z0-9_]{1,32}
  std::string name = "supply";
  // alpha_r in p_ij = 1 - exp(-alpha_r * w~_ij * sigma_j); finite, >= 0.
  double alpha = 0.8;
  // beta_r in q_i = min(1, beta_r * rho_i); finite, >= 0.
  double beta = 0.3;
  // Layers the risk travels on; non-empty.
  LayerMask layers = LayerBit(Layer::kMaterial);
  Direction direction = Direction::kDownstream;
  // Whether a node's inventory cover delays its onset for this risk type
  // (true for supply shortages; a data leak or a credit shock does not wait
  // for stock to run out).
  bool inventory_delays_onset = true;
};

Status ValidateRiskType(const RiskType& type);

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_RISK_TYPE_H_
