#include "connectors/feeds/feed_factory.h"

namespace riskd::connectors {

std::vector<std::string_view> FeedAdapterNames() {
  return {"usgs_geojson", "gdacs_rss", "nws_cap_atom", "scms_csv"};
}

Result<std::unique_ptr<FeedAdapter>> MakeFeedAdapter(std::string_view name,
                                                     const FeedAdapterOptions& options) {
  if (name == "usgs_geojson")
    return std::unique_ptr<FeedAdapter>(new UsgsGeoJsonAdapter(options.usgs));
  if (name == "gdacs_rss") return std::unique_ptr<FeedAdapter>(new GdacsRssAdapter(options.gdacs));
  if (name == "nws_cap_atom")
    return std::unique_ptr<FeedAdapter>(new NwsCapAdapter(options.nws_cap));
  if (name == "scms_csv") return std::unique_ptr<FeedAdapter>(new ScmsCsvAdapter(options.scms));
  std::string known;
  for (auto n : FeedAdapterNames()) known += (known.empty() ? "" : ", ") + std::string(n);
  return Status::InvalidArgument("unknown feed adapter '" + std::string(name) + "' (" + known +
                                 ")");
}

}  // namespace riskd::connectors
