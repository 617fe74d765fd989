// The documented rules (docs/feeds.md) that turn what a feed says about an
// event into riskd's terms: the severity of a Disruption (probability that a
// node inside the place is disrupted) and the size of the place.
#ifndef RISKD_CONNECTORS_FEEDS_HAZARD_RULES_H_
#define RISKD_CONNECTORS_FEEDS_HAZARD_RULES_H_

#include <optional>
#include <string_view>

namespace riskd::connectors {

// Earthquakes: the disc of strong shaking (MMI >= VI) around the epicentre.
struct QuakeRule {
  // Hypocentral reach of strong shaking R(M) = 10^(slope * M + intercept) km.
  // Defaults 0.4 and -0.8: 40 km at M6, 100 km at M7, 251 km at M8.
  double slope = 0.4;
  double intercept = -0.8;
  // Smallest radius, the epicentre's location uncertainty. Default 10 km.
  double min_radius_km = 10;
  // Severity from magnitude when no alert level is known:
  // clamp(per_magnitude * (M - zero_magnitude), min_severity, max_severity).
  // Defaults 0.2, 4.5, 0.05, 0.9: M5 0.1, M6 0.3, M7 0.5, M8 0.7.
  double per_magnitude = 0.2;
  double zero_magnitude = 4.5;
  double min_severity = 0.05;
  double max_severity = 0.9;
};

// Surface radius of the disc in km: sqrt(R(M)^2 - depth^2) when R(M) reaches
// the surface, never below min_radius_km.
double QuakeRadiusKm(double magnitude, double depth_km, const QuakeRule& rule);
double QuakeSeverity(double magnitude, const QuakeRule& rule);

// Alert colours shared by USGS PAGER (green, yellow, orange, red) and GDACS
// (Green, Orange, Red), case-insensitive. Severities 0.2, 0.4, 0.7, 0.9.
std::optional<double> AlertColourSeverity(std::string_view colour);

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_FEEDS_HAZARD_RULES_H_
