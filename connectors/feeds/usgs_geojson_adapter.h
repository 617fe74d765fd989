// USGS earthquake GeoJSON summary feeds (earthquake.usgs.gov/earthquakes/
// feed/v1.0/summary/*.geojson): one Feature per event.
//
// Each earthquake becomes a HAZARD_EARTHQUAKE Disruption located by a circle
// around the epicentre whose radius grows with magnitude and shrinks with
// depth (QuakeRule); severity is the PAGER alert colour when USGS has issued
// one, else the magnitude rule. event_id "usgs:<feature id>". Features that
// are not earthquakes (quarry blasts, explosions) or are marked deleted are
// skipped; features without an id, a numeric magnitude or a valid Point are
// rejected.
#ifndef RISKD_CONNECTORS_FEEDS_USGS_GEOJSON_ADAPTER_H_
#define RISKD_CONNECTORS_FEEDS_USGS_GEOJSON_ADAPTER_H_

#include <string>

#include "connectors/feeds/feed_adapter.h"
#include "connectors/feeds/hazard_rules.h"

namespace riskd::connectors {

class UsgsGeoJsonAdapter : public FeedAdapter {
 public:
  struct Options {
    // Envelope.source. Default "usgs_geojson".
    std::string source = "usgs_geojson";
    QuakeRule quake;
  };

  UsgsGeoJsonAdapter() : UsgsGeoJsonAdapter(Options()) {}
  explicit UsgsGeoJsonAdapter(Options options) : options_(std::move(options)) {}
  std::string_view name() const override { return "usgs_geojson"; }
  Result<FeedBatch> Parse(std::string_view document) const override;

 private:
  Options options_;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_FEEDS_USGS_GEOJSON_ADAPTER_H_
