// FetchUrl: the body of a feed URL (http, https or file), through libcurl
// when riskd-feed is built with it. Pollers use the same adapters on what it
// returns.
#ifndef RISKD_CONNECTORS_FEEDS_FEED_FETCH_H_
#define RISKD_CONNECTORS_FEEDS_FEED_FETCH_H_

#include <string>

#include "base/status.h"

namespace riskd::connectors {

struct FetchOptions {
  // Whole-transfer timeout. Default 30 s.
  long timeout_seconds = 30;
  // Larger bodies are an error. Default 64 MiB.
  std::size_t max_bytes = std::size_t{64} << 20;
};

// IoError on transfer failures and HTTP statuses >= 400.
Result<std::string> FetchUrl(const std::string& url, const FetchOptions& options = {});

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_FEEDS_FEED_FETCH_H_
