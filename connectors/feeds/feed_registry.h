// FeedAdapterRegistry: every feed adapter, registered by its own .cc file
// (RISKD_REGISTER_FEED_ADAPTER) under its name, together with the member of
// FeedConfig's `settings` oneof that configures it, so adding an adapter
// touches no list elsewhere. MakeFeedAdapter (feed_factory.h) looks adapters
// up here.
//
// The adapters' objects must all reach the final link even though nothing
// names them: riskd_feeds is linked whole-archive (connectors/CMakeLists.txt).
//
// Thread-safety: adapters register during static initialization, before
// main(); after that the registry is only read, from any thread.
#ifndef RISKD_CONNECTORS_FEEDS_FEED_REGISTRY_H_
#define RISKD_CONNECTORS_FEEDS_FEED_REGISTRY_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "connectors/feeds/feed_adapter.h"
#include "riskd/v1/config.pb.h"

namespace riskd::connectors {

struct FeedAdapterFactory {
  // "usgs_geojson": the value of FeedConfig.adapter, and the name of the
  // settings member.
  std::string_view name;
  riskd::v1::FeedConfig::SettingsCase settings_case;
  // The adapter configured by `config` (its settings member, or the
  // defaults when it is unset), stamping Envelope.source = `source`.
  // InvalidArgument naming the field if a setting is out of range.
  Result<std::unique_ptr<FeedAdapter>> (*make)(const riskd::v1::FeedConfig& config,
                                               const std::string& source);
};

class FeedAdapterRegistry {
 public:
  // Adds a factory; returns true (for the registration macro). Two
  // factories with one name or one settings member abort: a build error in
  // all but name.
  static bool Register(const FeedAdapterFactory& factory);
  // nullptr if none.
  static const FeedAdapterFactory* Find(std::string_view name);
  static const FeedAdapterFactory* Find(riskd::v1::FeedConfig::SettingsCase settings_case);
  // Registered names, sorted.
  static std::vector<std::string_view> Names();
};

// FeedAdapterFactory::make for an adapter whose only setting is
// Envelope.source (Adapter::Options::source).
template <typename Adapter>
Result<std::unique_ptr<FeedAdapter>> MakeWithSourceOnly(const riskd::v1::FeedConfig& /*config*/,
                                                        const std::string& source) {
  typename Adapter::Options options;
  options.source = source;
  return std::unique_ptr<FeedAdapter>(new Adapter(std::move(options)));
}

}  // namespace riskd::connectors

// Registers a FeedAdapterFactory at static-initialization time; use once,
// at namespace scope, in the adapter's .cc file.
#define RISKD_REGISTER_FEED_ADAPTER(id, ...)                              \
  [[maybe_unused]] static const bool riskd_feed_adapter_registered_##id = \
      ::riskd::connectors::FeedAdapterRegistry::Register(__VA_ARGS__)

#endif  // RISKD_CONNECTORS_FEEDS_FEED_REGISTRY_H_
