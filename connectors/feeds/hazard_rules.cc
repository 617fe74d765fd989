#include "connectors/feeds/hazard_rules.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

namespace riskd::connectors {

double QuakeRadiusKm(double magnitude, double depth_km, const QuakeRule& rule) {
  const double reach = std::pow(10.0, rule.slope * magnitude + rule.intercept);
  const double depth = std::max(0.0, depth_km);
  const double surface = reach > depth ? std::sqrt(reach * reach - depth * depth) : 0.0;
  return std::max(rule.min_radius_km, surface);
}

double QuakeSeverity(double magnitude, const QuakeRule& rule) {
  return std::clamp(rule.per_magnitude * (magnitude - rule.zero_magnitude), rule.min_severity,
                    rule.max_severity);
}

std::optional<double> AlertColourSeverity(std::string_view colour) {
  std::string lower(colour);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "green") return 0.2;
  if (lower == "yellow") return 0.4;
  if (lower == "orange") return 0.7;
  if (lower == "red") return 0.9;
  return std::nullopt;
}

}  // namespace riskd::connectors
