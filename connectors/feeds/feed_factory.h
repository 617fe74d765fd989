// MakeFeedAdapter: the feed adapter for a name ("usgs_geojson", "gdacs_rss",
// "nws_cap_atom", "scms_csv"), configured from FeedAdapterOptions. Used by
// the riskd-feed connector process and by a daemon-side poller alike.
#ifndef RISKD_CONNECTORS_FEEDS_FEED_FACTORY_H_
#define RISKD_CONNECTORS_FEEDS_FEED_FACTORY_H_

#include <memory>
#include <string_view>
#include <vector>

#include "connectors/feeds/feed_adapter.h"
#include "connectors/feeds/gdacs_rss_adapter.h"
#include "connectors/feeds/nws_cap_adapter.h"
#include "connectors/feeds/scms_csv_adapter.h"
#include "connectors/feeds/usgs_geojson_adapter.h"

namespace riskd::connectors {

struct FeedAdapterOptions {
  UsgsGeoJsonAdapter::Options usgs;
  GdacsRssAdapter::Options gdacs;
  NwsCapAdapter::Options nws_cap;
  ScmsCsvAdapter::Options scms;
};

// InvalidArgument naming the known adapters if `name` is not one of them.
Result<std::unique_ptr<FeedAdapter>> MakeFeedAdapter(std::string_view name,
                                                     const FeedAdapterOptions& options = {});
std::vector<std::string_view> FeedAdapterNames();

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_FEEDS_FEED_FACTORY_H_
