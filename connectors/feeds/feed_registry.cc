#include "connectors/feeds/feed_registry.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace riskd::connectors {
namespace {

// Constructed on first use, so registrations from other translation units'
// static initializers never see it unconstructed.
std::vector<FeedAdapterFactory>& Factories() {
  static std::vector<FeedAdapterFactory> factories;
  return factories;
}

}  // namespace

bool FeedAdapterRegistry::Register(const FeedAdapterFactory& factory) {
  if (Find(factory.name) != nullptr || Find(factory.settings_case) != nullptr) {
    std::fprintf(stderr, "riskd: feed adapter '%.*s' registered twice\n",
                 static_cast<int>(factory.name.size()), factory.name.data());
    std::abort();
  }
  Factories().push_back(factory);
  return true;
}

const FeedAdapterFactory* FeedAdapterRegistry::Find(std::string_view name) {
  for (const auto& f : Factories()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const FeedAdapterFactory* FeedAdapterRegistry::Find(
    riskd::v1::FeedConfig::SettingsCase settings_case) {
  for (const auto& f : Factories()) {
    if (f.settings_case == settings_case) return &f;
  }
  return nullptr;
}

std::vector<std::string_view> FeedAdapterRegistry::Names() {
  std::vector<std::string_view> names;
  for (const auto& f : Factories()) names.push_back(f.name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace riskd::connectors
