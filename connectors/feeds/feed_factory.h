// MakeFeedAdapter: the feed adapter a FeedConfig names, by the member of its
// `settings` oneof or by its `adapter` string, configured by that member.
// Used by the daemon's feed poller, `riskd --check` and the riskd-feed
// connector process alike. Adapters register themselves (feed_registry.h).
#ifndef RISKD_CONNECTORS_FEEDS_FEED_FACTORY_H_
#define RISKD_CONNECTORS_FEEDS_FEED_FACTORY_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "connectors/feeds/feed_adapter.h"
#include "riskd/v1/config.pb.h"

namespace riskd::connectors {

// Envelopes carry Envelope.source = `source`, or the adapter's name if it
// is empty. InvalidArgument naming the known adapters if none is named,
// naming both if `adapter` and the settings member disagree, or naming the
// setting that is out of range.
Result<std::unique_ptr<FeedAdapter>> MakeFeedAdapter(const riskd::v1::FeedConfig& config,
                                                     const std::string& source = "");
// The adapter called `name`, with its defaults.
Result<std::unique_ptr<FeedAdapter>> MakeFeedAdapter(std::string_view name);
// Every registered adapter's name, sorted.
std::vector<std::string_view> FeedAdapterNames();

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_FEEDS_FEED_FACTORY_H_
