// The dashboard's web bundle (dashboard/, built by vite), compiled into the
// binary by the build (cmake/EmbedAssets.cmake), so the daemon serves its
// pages with no file to install or find. Empty when riskd was built with
// RISKD_BUILD_DASHBOARD=OFF.
#ifndef RISKD_CONNECTORS_HTTP_EMBEDDED_ASSETS_H_
#define RISKD_CONNECTORS_HTTP_EMBEDDED_ASSETS_H_

#include <span>
#include <string_view>

namespace riskd::connectors {

struct EmbeddedAsset {
  std::string_view path;          // "/index.html", "/assets/index.js", ...
  std::string_view content_type;  // e.g. "text/javascript; charset=utf-8"
  std::string_view etag;          // quoted SHA-256 prefix of the content
  std::string_view data;
};

std::span<const EmbeddedAsset> DashboardAssets();

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_HTTP_EMBEDDED_ASSETS_H_
