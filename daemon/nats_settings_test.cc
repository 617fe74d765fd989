#include "daemon/nats_settings.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "daemon/settings.h"

namespace riskd::daemon {
namespace {

using std::chrono::milliseconds;

Result<NatsSettings> Parse(const std::string& text) {
  riskd::v1::NatsConfig c;
  if (!google::protobuf::TextFormat::ParseFromString(text, &c))
    return Status::InvalidArgument("text");
  NatsSettings s;
  RISKD_RETURN_IF_ERROR(ParseNatsSettings(c, &s));
  return s;
}

TEST(NatsSettingsTest, OffByDefault) {
  auto s = ParseSettings("network { csv { nodes: 'n' edges: 'e' } }", ".");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->nats.enabled);
  EXPECT_FALSE(s->nats.lease);
}

TEST(NatsSettingsTest, DefaultsWithServersAndALease) {
  auto s = Parse(
      "servers: 'nats://10.0.0.1:4222' servers: 'nats://10.0.0.2:4222' instance: 'a' lease {}");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->enabled);
  EXPECT_EQ(s->servers.size(), 2u);
  EXPECT_EQ(s->stream, "RISKD_EVENTS");
  EXPECT_EQ(s->subject, "riskd.events");
  EXPECT_EQ(s->replicas, 3);
  EXPECT_EQ(s->duplicate_window, milliseconds(120000));
  EXPECT_EQ(s->publish_prefix, "riskd.out");
  EXPECT_EQ(s->timeout, milliseconds(5000));
  EXPECT_EQ(s->durable(), "riskd_a");
  EXPECT_TRUE(s->lease);
  EXPECT_EQ(s->lease_bucket, "riskd_lease");
  EXPECT_EQ(s->lease_key, "active");
  EXPECT_EQ(s->lease_ttl, milliseconds(10000));
  EXPECT_EQ(s->lease_renew_interval, milliseconds(3333));
  EXPECT_EQ(s->lease_acquire_interval, milliseconds(250));
}

TEST(NatsSettingsTest, ReadsEveryKey) {
  auto s = Parse(R"(servers: 'nats://h:1' instance: 'b-2' stream: 'S' subject: 'a.b' replicas: 1
      duplicate_window { seconds: 30 } publish_prefix: 'out.x' timeout { nanos: 500000000 }
      lease { bucket: 'L' key: 'k' ttl { seconds: 2 } renew_interval { nanos: 400000000 }
              acquire_interval { nanos: 100000000 } })");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->instance, "b-2");
  EXPECT_EQ(s->stream, "S");
  EXPECT_EQ(s->subject, "a.b");
  EXPECT_EQ(s->replicas, 1);
  EXPECT_EQ(s->duplicate_window, milliseconds(30000));
  EXPECT_EQ(s->publish_prefix, "out.x");
  EXPECT_EQ(s->timeout, milliseconds(500));
  EXPECT_EQ(s->lease_bucket, "L");
  EXPECT_EQ(s->lease_key, "k");
  EXPECT_EQ(s->lease_ttl, milliseconds(2000));
  EXPECT_EQ(s->lease_renew_interval, milliseconds(400));
  EXPECT_EQ(s->lease_acquire_interval, milliseconds(100));
}

TEST(NatsSettingsTest, EveryRejectionSaysWhichKey) {
  const std::pair<const char*, const char*> cases[] = {
      {"instance: 'a'", "nats.servers"},
      {"servers: 'http://h:1' instance: 'a'", "nats.servers"},
      {"servers: 'nats://h:1'", "nats.instance"},
      {"servers: 'nats://h:1' instance: 'a b'", "nats.instance"},
      {"servers: 'nats://h:1' instance: 'a' stream: 'a.b'", "nats.stream"},
      {"servers: 'nats://h:1' instance: 'a' subject: 'a.*'", "nats.subject"},
      {"servers: 'nats://h:1' instance: 'a' replicas: 7", "nats.replicas"},
      {"servers: 'nats://h:1' instance: 'a' publish_prefix: 'x..y'", "nats.publish_prefix"},
      {"servers: 'nats://h:1' instance: 'a' lease { ttl { nanos: 5000 } }", "nats.lease.ttl"},
      {"servers: 'nats://h:1' instance: 'a' lease { ttl { seconds: 2 } renew_interval { seconds: 2 "
       "} }",
       "nats.lease.renew_interval"},
      {"servers: 'nats://h:1' instance: 'a' lease { acquire_interval { seconds: 9 } }",
       "nats.lease.acquire_interval"},
  };
  for (const auto& [text, key] : cases) {
    auto s = Parse(text);
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_EQ(s.status().code(), Status::Code::kInvalidArgument) << text;
    EXPECT_NE(s.status().message().find(key), std::string::npos)
        << text << " -> " << s.status().ToString();
  }
}

}  // namespace
}  // namespace riskd::daemon
