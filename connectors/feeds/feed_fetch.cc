#include "connectors/feeds/feed_fetch.h"

#include <curl/curl.h>

namespace riskd::connectors {

namespace {

struct Sink {
  std::string body;
  std::size_t max_bytes = 0;
  bool too_large = false;
};

std::size_t WriteBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t n = size * count;
  if (sink->body.size() + n > sink->max_bytes) {
    sink->too_large = true;
    return 0;  // aborts the transfer
  }
  sink->body.append(data, n);
  return n;
}

}  // namespace

Result<std::string> FetchUrl(const std::string& url, const FetchOptions& options) {
  CURL* curl = curl_easy_init();
  if (!curl) return Status::Internal("cannot initialise libcurl");
  Sink sink;
  sink.max_bytes = options.max_bytes;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, options.timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "riskd-feed/1");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  const CURLcode code = curl_easy_perform(curl);
  long http_status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_status);
  curl_easy_cleanup(curl);
  if (sink.too_large) {
    return Status::IoError(url + ": body larger than " + std::to_string(options.max_bytes) +
                           " bytes");
  }
  if (code != CURLE_OK) return Status::IoError(url + ": " + curl_easy_strerror(code));
  if (http_status >= 400)
    return Status::IoError(url + ": HTTP status " + std::to_string(http_status));
  return std::move(sink.body);
}

}  // namespace riskd::connectors
