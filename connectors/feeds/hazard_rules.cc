#include "connectors/feeds/hazard_rules.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

namespace riskd::connectors {

double QuakeRadiusKm(double magnitude, double depth_km, const QuakeRule& rule) {
  // Half the Earth's circumference covers all of it: farther is the same
  // place, and a magnitude from a broken feed must not give inf or NaN
  // (found by usgs_geojson_fuzzer: ingest refuses a non-finite radius).
  constexpr double kWholeEarthKm = 20037.5;
  const double exponent = rule.slope * magnitude + rule.intercept;
  const double reach = std::isfinite(exponent)
                           ? std::min(std::pow(10.0, std::min(exponent, 5.0)), kWholeEarthKm)
                           : (exponent > 0 ? kWholeEarthKm : 0.0);
  const double depth = std::isfinite(depth_km) ? std::max(0.0, depth_km) : 0.0;
  const double surface = reach > depth ? std::sqrt(reach * reach - depth * depth) : 0.0;
  return std::min(std::max(rule.min_radius_km, surface), kWholeEarthKm);
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
