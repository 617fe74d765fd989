// NWS CAP alerts: the National Weather Service's Atom index of active
// warnings (alerts.weather.gov/cap/us.php, CAP 1.1 fields in each <entry>),
// and standalone CAP 1.1/1.2 <alert> documents.
//
// Each alert with a polygon becomes a Disruption located by that polygon.
// Severity is the product of three CAP fields (docs/feeds.md):
//   impact(severity) x timing(urgency) x probability(certainty)
// and the hazard comes from keywords of the event name. event_id
// "nws:<alert key>" for Atom entries (the x= key of the entry id, else the
// id), "cap:<identifier>" for standalone alerts (with "/<n>" per polygon when
// an alert has several). Skipped: status other than Actual, msgType Cancel
// (v1 has no retraction), severity Unknown, urgency Past, certainty
// Unlikely, and alerts with no polygon (zone- or county-coded only).
// Rejected: no id, unknown CAP values, malformed polygons.
#ifndef RISKD_CONNECTORS_FEEDS_NWS_CAP_ADAPTER_H_
#define RISKD_CONNECTORS_FEEDS_NWS_CAP_ADAPTER_H_

#include <string>

#include "connectors/feeds/feed_adapter.h"

namespace riskd::connectors {

class NwsCapAdapter : public FeedAdapter {
 public:
  struct Options {
    // Envelope.source. Default "nws_cap_atom".
    std::string source = "nws_cap_atom";
  };

  NwsCapAdapter() : NwsCapAdapter(Options()) {}
  explicit NwsCapAdapter(Options options) : options_(std::move(options)) {}
  std::string_view name() const override { return "nws_cap_atom"; }
  Result<FeedBatch> Parse(std::string_view document) const override;

 private:
  Options options_;
};

// The CAP factors, nullopt for values that are skipped or unknown.
std::optional<double> CapSeverityImpact(std::string_view severity);
std::optional<double> CapUrgencyTiming(std::string_view urgency);
std::optional<double> CapCertaintyProbability(std::string_view certainty);
// Hazard of a CAP event name, e.g. "Flash Flood Warning" -> HAZARD_FLOOD.
riskd::v1::Hazard CapEventHazard(std::string_view event);

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_FEEDS_NWS_CAP_ADAPTER_H_
