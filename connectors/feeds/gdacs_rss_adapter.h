// GDACS (Global Disaster Alert and Coordination System) RSS feeds
// (gdacs.org/xml/rss.xml and archives): one <item> per event episode with
// gdacs:eventtype, gdacs:alertlevel, gdacs:severity, gdacs:eventid,
// gdacs:episodeid and a geo:Point.
//
// Each item becomes a Disruption located by a circle around the point:
// earthquakes use the magnitude and depth in gdacs:severity with QuakeRule,
// droughts the affected area (km2) as a disc of equal area, other types a
// fixed radius per type (Options). Severity is the alert colour. event_id
// "gdacs:<type><eventid>:<episodeid>": a new episode (new track position,
// new alert level) is new information, a repeated episode is a duplicate.
// Unknown event types and alert levels, and items without id or point, are
// rejected.
#ifndef RISKD_CONNECTORS_FEEDS_GDACS_RSS_ADAPTER_H_
#define RISKD_CONNECTORS_FEEDS_GDACS_RSS_ADAPTER_H_

#include <string>

#include "connectors/feeds/feed_adapter.h"
#include "connectors/feeds/hazard_rules.h"

namespace riskd::connectors {

class GdacsRssAdapter : public FeedAdapter {
 public:
  struct Options {
    // Envelope.source. Default "gdacs_rss".
    std::string source = "gdacs_rss";
    QuakeRule quake;
    // Radii in km by event type (docs/feeds.md says why). Defaults:
    // tropical cyclone 100, flood 150, volcano 30, wildfire 30, tsunami 100.
    double cyclone_radius_km = 100;
    double flood_radius_km = 150;
    double volcano_radius_km = 30;
    double wildfire_radius_km = 30;
    double tsunami_radius_km = 100;
    // Drought: radius of the disc with the affected area, within these
    // bounds; the fallback when the area is missing. Defaults 50, 1500, 300.
    double drought_min_radius_km = 50;
    double drought_max_radius_km = 1500;
    double drought_fallback_radius_km = 300;
  };

  GdacsRssAdapter() : GdacsRssAdapter(Options()) {}
  explicit GdacsRssAdapter(Options options) : options_(std::move(options)) {}
  std::string_view name() const override { return "gdacs_rss"; }
  Result<FeedBatch> Parse(std::string_view document) const override;

 private:
  Options options_;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_FEEDS_GDACS_RSS_ADAPTER_H_
