#include "daemon/listener_rule.h"

#include <gtest/gtest.h>

namespace riskd::daemon {
namespace {

const std::string kNet = "network { csv { nodes: 'n' edges: 'e' } }\n";

std::string Refusal(const std::string& config) {
  auto s = ParseSettings(kNet + config, ".");
  return s.ok() ? "" : s.status().ToString();
}

TEST(ListenerRuleTest, LoopbackHostsAreTheLoopbackNetworkAndLocalhostOnly) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "*", "", "::", "[::]", "10.0.0.1", "127.0.0", "127.0.0.1.5",
                           "127.0.0.256", "127.a.0.1", "localhost.example.com", "128.0.0.1"}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
  EXPECT_TRUE(IsLocalEndpoint("tcp://127.0.0.1:7750"));
  EXPECT_TRUE(IsLocalEndpoint("tcp://127.0.0.9:*"));
  EXPECT_TRUE(IsLocalEndpoint("tcp://localhost:*"));
  EXPECT_TRUE(IsLocalEndpoint("tcp://[::1]:7750"));
  EXPECT_TRUE(IsLocalEndpoint("ipc:///run/riskd/ingest"));
  EXPECT_FALSE(IsLocalEndpoint("tcp://0.0.0.0:7750"));
  EXPECT_FALSE(IsLocalEndpoint("tcp://*:7750"));
  EXPECT_FALSE(IsLocalEndpoint("tcp://eth0:7750"));
  EXPECT_FALSE(IsLocalEndpoint("tcp://10.1.2.3:7750"));
  EXPECT_FALSE(IsLocalEndpoint("tcp://127.0.0.1;10.0.0.1:7750"));
}

TEST(ListenerRuleTest, HttpListenersAreOneHostAndPort) {
  auto hp = ParseHostPort("127.0.0.1:9750");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "127.0.0.1");
  EXPECT_EQ(hp->port, 9750);
  EXPECT_EQ(ParseHostPort("[::1]:0")->host, "::1");
  // civetweb would read these as two listeners, TLS, a redirect, or
  // every interface.
  for (const char* bad :
       {"127.0.0.1:1,0.0.0.0:2", "127.0.0.1:9750s", "127.0.0.1:9750r", "9750", ":9750",
        "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "[::1:9750", "a b:1", "+9750"}) {
    EXPECT_FALSE(ParseHostPort(bad).ok()) << bad;
  }
}

TEST(ListenerRuleTest, EveryListenerIsLoopbackOrAuthenticatedOrExplicitlyOpen) {
  // ZeroMQ endpoints.
  EXPECT_EQ(Refusal(""), "");
  EXPECT_EQ(Refusal("endpoints { ingest: 'ipc:///tmp/x' publish: 'tcp://127.0.0.1:*' }"), "");
  const std::string remote = Refusal("endpoints { ingest: 'tcp://*:7750' }");
  EXPECT_EQ(
      remote,
      "invalid_argument: config: endpoints.ingest 'tcp://*:7750' is not a loopback address and "
      "asks "
      "for no authentication: bind it to 127.0.0.1 (or ipc://), configure security.server_cert and "
      "security.clients (CURVE), or set endpoints.allow_unauthenticated: true to open it to anyone "
      "on "
      "purpose (docs/configuration.md, \"Listening endpoints\")");
  EXPECT_NE(Refusal("endpoints { publish: 'tcp://0.0.0.0:7751' }").find("endpoints.publish"),
            std::string::npos);
  EXPECT_EQ(Refusal("endpoints { ingest: 'tcp://*:7750' publish: 'tcp://*:7751' "
                    "allow_unauthenticated: true }"),
            "");

  // Metrics: no longer open on every interface by default.
  EXPECT_EQ(Refusal("metrics { listen: '127.0.0.1:0' }"), "");
  EXPECT_EQ(Refusal("metrics { listen: '[::1]:9750' }"), "");
  const std::string metrics = Refusal("metrics { listen: '0.0.0.0:9750' }");
  EXPECT_NE(metrics.find(
                "config: metrics.listen '0.0.0.0:9750' is not a loopback address and asks for no "
                "authentication"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("metrics.users (HTTP basic authentication)"), std::string::npos);
  EXPECT_NE(metrics.find("metrics.anonymous_read: true"), std::string::npos);
  const std::string hash(64, 'a');
  EXPECT_EQ(Refusal("metrics { listen: '0.0.0.0:9750' users { name: 'prom' password_sha256: '" +
                    hash + "' } }"),
            "");
  EXPECT_EQ(Refusal("metrics { listen: '0.0.0.0:9750' anonymous_read: true }"), "");
  EXPECT_NE(
      Refusal("metrics { listen: '0.0.0.0:9750' anonymous_read: false }").find("not a loopback"),
      std::string::npos);
  EXPECT_NE(Refusal("metrics { listen: '127.0.0.1:1,0.0.0.0:2' }").find("one address"),
            std::string::npos);
  EXPECT_NE(Refusal("metrics { listen: '127.0.0.1:9' users { name: 'p' password_sha256: 'xyz' } }")
                .find("password_sha256 must be 64 hex digits"),
            std::string::npos);
  EXPECT_NE(Refusal("metrics { listen: '127.0.0.1:9' users { name: 'a:b' password_sha256: '" +
                    hash + "' } }")
                .find("without ':'"),
            std::string::npos);
  EXPECT_NE(Refusal("metrics { listen: '127.0.0.1:9' anonymous_read: true users { name: 'p' "
                    "password_sha256: '" +
                    hash + "' } }")
                .find("cannot be true with metrics.users"),
            std::string::npos);

  // The dashboard: off loopback, reading needs a token unless opened on purpose.
  EXPECT_EQ(Refusal("dashboard { listen: '127.0.0.1:0' }"), "");
  EXPECT_EQ(Refusal("dashboard { listen: '0.0.0.0:0' }"), "");
  EXPECT_EQ(Refusal("dashboard { listen: '0.0.0.0:0' anonymous_read: true }"), "");
}

TEST(ListenerRuleTest, TheDashboardIsHeldToTheSameRule) {
  auto listener = [](const std::string& dashboard) {
    auto s = ParseSettings(kNet + "dashboard { " + dashboard + " }", ".");
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    for (const Listener& l : ConfiguredListeners(*s)) {
      if (l.key == "dashboard.listen") return l;
    }
    ADD_FAILURE() << "no dashboard listener for " << dashboard;
    return Listener{};
  };
  const Listener local = listener("listen: '127.0.0.1:0'");
  EXPECT_TRUE(local.loopback);
  const Listener remote = listener("listen: '0.0.0.0:7752'");
  EXPECT_FALSE(remote.loopback);
  EXPECT_TRUE(remote.authenticated);  // anonymous_read defaults to false off loopback
  EXPECT_FALSE(remote.opted_out);
  const Listener open = listener("listen: '0.0.0.0:7752' anonymous_read: true");
  EXPECT_FALSE(open.authenticated);
  EXPECT_TRUE(open.opted_out);
  EXPECT_EQ(open.exposes, "read the dashboard and every publication");
  EXPECT_TRUE(CheckListener(open).ok());
  Listener closed = open;
  closed.opted_out = false;
  EXPECT_NE(CheckListener(closed).ToString().find("dashboard.users (bearer tokens), or set "
                                                  "dashboard.anonymous_read: true"),
            std::string::npos)
      << CheckListener(closed).ToString();
  auto off = ParseSettings(kNet, ".");
  ASSERT_TRUE(off.ok());
  for (const Listener& l : ConfiguredListeners(*off)) EXPECT_NE(l.key, "dashboard.listen");
}

TEST(ListenerRuleTest, ConfiguredListenersSayWhatAnOptOutExposes) {
  auto s = ParseSettings(
      kNet +
          "endpoints { ingest: 'tcp://*:1' publish: 'ipc:///tmp/p' "
          "allow_unauthenticated: true }\n metrics { listen: '0.0.0.0:0' anonymous_read: true }",
      ".");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const auto listeners = ConfiguredListeners(*s);
  ASSERT_EQ(listeners.size(), 3u);
  EXPECT_EQ(listeners[0].key, "endpoints.ingest");
  EXPECT_FALSE(listeners[0].loopback);
  EXPECT_TRUE(listeners[0].opted_out);
  EXPECT_TRUE(listeners[1].loopback);
  EXPECT_EQ(listeners[2].key, "metrics.listen");
  EXPECT_FALSE(listeners[2].loopback);
  EXPECT_FALSE(listeners[2].authenticated);
  EXPECT_EQ(listeners[2].exposes, "read the metrics");
}

}  // namespace
}  // namespace riskd::daemon
