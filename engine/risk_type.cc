#include "engine/risk_type.h"

#include <cmath>

namespace riskd::engine {

Status ValidateRiskType(const RiskType& t) {
  if (t.name.empty() || t.name.size() > 32) {
    return Status::InvalidArgument("risk type name must be 1..32 characters");
  }
  for (char c : t.name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return Status::InvalidArgument("risk type name '" + t.name + "' may only use [a-z0-9_]");
    }
  }
  if (!std::isfinite(t.alpha) || t.alpha < 0) {
    return Status::InvalidArgument("risk type '" + t.name + "': alpha must be finite and >= 0");
  }
  if (!std::isfinite(t.beta) || t.beta < 0) {
    return Status::InvalidArgument("risk type '" + t.name + "': beta must be finite and >= 0");
  }
  if ((t.layers & kAllLayers) == 0 || (t.layers & ~kAllLayers) != 0) {
    return Status::InvalidArgument("risk type '" + t.name + "': needs at least one valid layer");
  }
  return Status::Ok();
}

}  // namespace riskd::engine
