// Tiny HTTP GET for tests (libcurl), and a free loopback TCP port.
#ifndef RISKD_TESTS_SUPPORT_HTTP_GET_H_
#define RISKD_TESTS_SUPPORT_HTTP_GET_H_

#include <optional>
#include <string>
#include <vector>

namespace riskd::testing {

// Body of a 200 response, nullopt otherwise.
std::optional<std::string> HttpGet(const std::string& url, long timeout_ms = 2000);

struct HttpResponse {
  long status = 0;  // 0: no response
  std::string body;
  std::string headers;  // the raw header block
};
// Any method; `headers` are "Name: value" lines; an empty body sends none.
HttpResponse HttpRequest(const std::string& method, const std::string& url,
                         const std::vector<std::string>& headers = {}, const std::string& body = "",
                         long timeout_ms = 10000);
// A port that was free on 127.0.0.1 a moment ago.
int FreeLoopbackPort();

}  // namespace riskd::testing

#endif  // RISKD_TESTS_SUPPORT_HTTP_GET_H_
