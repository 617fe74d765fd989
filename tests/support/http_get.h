// Tiny HTTP GET for tests (libcurl), and a free loopback TCP port.
#ifndef RISKD_TESTS_SUPPORT_HTTP_GET_H_
#define RISKD_TESTS_SUPPORT_HTTP_GET_H_

#include <optional>
#include <string>

namespace riskd::testing {

// Body of a 200 response, nullopt otherwise.
std::optional<std::string> HttpGet(const std::string& url, long timeout_ms = 2000);
// A port that was free on 127.0.0.1 a moment ago.
int FreeLoopbackPort();

}  // namespace riskd::testing

#endif  // RISKD_TESTS_SUPPORT_HTTP_GET_H_
