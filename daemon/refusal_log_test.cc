#include "daemon/refusal_log.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>
#include <thread>
#include <vector>

namespace riskd::daemon {
namespace {

TEST(RefusalLogTest, CountsEveryRefusalLogsOneLinePerReasonAndIntervalInertly) {
  std::ostringstream out;
  auto logger = std::make_shared<spdlog::logger>(
      "refusals", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  RefusalLog log(std::chrono::hours(1));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 250; ++i)
        log.Record(RefusalReason::kUnknownKey, "key K from 10.0.0.1\n[forged]");
    });
  }
  for (auto& t : threads) t.join();
  log.Record(RefusalReason::kRoleDenied, "client 'erp' sent 'x'");
  spdlog::set_default_logger(previous);
  EXPECT_EQ(log.count(RefusalReason::kUnknownKey), 1000u);
  EXPECT_EQ(log.count(RefusalReason::kRoleDenied), 1u);
  EXPECT_EQ(log.count(RefusalReason::kRateLimited), 0u);
  const std::string text = out.str();
  // One line per reason within the interval, control characters escaped.
  EXPECT_NE(text.find("security: refused (unknown_key): key K from 10.0.0.1\\x0a[forged]"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("\n[forged]"), std::string::npos) << text;
  EXPECT_NE(text.find("security: refused (role_denied): client 'erp' sent 'x'"), std::string::npos);
  std::size_t lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(lines, 2u) << text;
  EXPECT_EQ(RefusalReasonName(RefusalReason::kPlaintextClient), "plaintext_client");
}

}  // namespace
}  // namespace riskd::daemon
