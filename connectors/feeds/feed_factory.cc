#include "connectors/feeds/feed_factory.h"

#include "connectors/feeds/feed_registry.h"

namespace riskd::connectors {

std::vector<std::string_view> FeedAdapterNames() { return FeedAdapterRegistry::Names(); }

Result<std::unique_ptr<FeedAdapter>> MakeFeedAdapter(const riskd::v1::FeedConfig& config,
                                                     const std::string& source) {
  const FeedAdapterFactory* factory = nullptr;
  if (config.settings_case() != riskd::v1::FeedConfig::SETTINGS_NOT_SET) {
    factory = FeedAdapterRegistry::Find(config.settings_case());
    if (factory == nullptr) {
      return Status::Internal("feed settings field " + std::to_string(config.settings_case()) +
                              " has no adapter registered");
    }
    if (!config.adapter().empty() && config.adapter() != factory->name) {
      return Status::InvalidArgument("adapter '" + config.adapter() + "' but settings for '" +
                                     std::string(factory->name) + "'");
    }
  } else {
    factory = FeedAdapterRegistry::Find(config.adapter());
    if (factory == nullptr) {
      std::string known;
      for (auto n : FeedAdapterNames()) known += (known.empty() ? "" : ", ") + std::string(n);
      return Status::InvalidArgument("unknown feed adapter '" + config.adapter() + "' (" + known +
                                     ")");
    }
  }
  return factory->make(config, source.empty() ? std::string(factory->name) : source);
}

Result<std::unique_ptr<FeedAdapter>> MakeFeedAdapter(std::string_view name) {
  riskd::v1::FeedConfig config;
  config.set_adapter(std::string(name));
  return MakeFeedAdapter(config);
}

}  // namespace riskd::connectors
