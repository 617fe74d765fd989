#include "connectors/http/dashboard_settings.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "connectors/http/dashboard_auth.h"

namespace riskd::connectors {
namespace {

Result<DashboardSettings> Parse(const std::string& text) {
  riskd::v1::DashboardConfig c;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &c)) << text;
  return ParseDashboardConfig(c);
}

const std::string kOpsHash = Sha256Hex("ops-token-0123456789");
const std::string kReaderHash = Sha256Hex("reader-token-0123456789");

TEST(DashboardSettingsTest, OffByDefaultAndLoopbackReadsAnonymously) {
  auto off = Parse("");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->enabled());
  auto s = Parse("listen: '127.0.0.1:7752'");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->enabled());
  EXPECT_TRUE(s->loopback);
  EXPECT_TRUE(s->anonymous_read);
  EXPECT_EQ(s->max_clients, 16);
  EXPECT_EQ(s->max_queued_bytes, std::size_t{64} << 20);
}

TEST(DashboardSettingsTest, ElsewhereReadingNeedsATokenUnlessOptedOut) {
  auto s = Parse("listen: '0.0.0.0:7752'");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->loopback);
  EXPECT_FALSE(s->anonymous_read);
  auto open = Parse("listen: '10.1.2.3:7752' anonymous_read: true");
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(open->anonymous_read);
  auto closed = Parse("listen: 'localhost:0' anonymous_read: false");
  ASSERT_TRUE(closed.ok());
  EXPECT_TRUE(closed->loopback);
  EXPECT_FALSE(closed->anonymous_read);
}

TEST(DashboardSettingsTest, BadValuesAreRejectedWithTheKey) {
  const std::pair<std::string, std::string> cases[] = {
      {"listen: '7752'", "dashboard.listen"},
      {"listen: '127.0.0.1:70000'", "0..65535"},
      {"listen: '[::1]:7752'", "IPv6"},
      {"listen: ':7752'", "host:port"},
      {"max_clients: 0", "dashboard.max_clients"},
      {"max_queued_bytes: 1000", "dashboard.max_queued_bytes"},
      {"users { name: 'a' role: CLIENT_ROLE_ADMIN token_sha256: 'abc' }", "64 hex digits"},
      {"users { name: 'a' token_sha256: '" + kOpsHash + "' }", "role is required"},
      {"users { role: CLIENT_ROLE_ADMIN token_sha256: '" + kOpsHash + "' }", "name is required"},
      {"users { name: 'a\\nb' role: CLIENT_ROLE_ADMIN token_sha256: '" + kOpsHash + "' }",
       "without control characters"},
      {"users { name: 'a\\302\\205b' role: CLIENT_ROLE_ADMIN token_sha256: '" + kOpsHash + "' }",
       "without control characters"},
      {"users { name: '" + std::string(129, 'n') + "' role: CLIENT_ROLE_ADMIN token_sha256: '" +
           kOpsHash + "' }",
       "at most 128 bytes"},
      {"users { name: 'a' role: CLIENT_ROLE_ADMIN token_sha256: '" + kOpsHash +
           "' } users { name: 'a' role: CLIENT_ROLE_ADMIN token_sha256: '" + kReaderHash + "' }",
       "not unique"},
      {"users { name: 'a' role: CLIENT_ROLE_ADMIN token_sha256: '" + kOpsHash +
           "' } users { name: 'b' role: CLIENT_ROLE_ADMIN token_sha256: '" + kOpsHash + "' }",
       "another user's token"},
  };
  for (const auto& [text, expected] : cases) {
    auto s = Parse(text);
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_EQ(s.status().code(), Status::Code::kInvalidArgument) << text;
    EXPECT_NE(s.status().message().find(expected), std::string::npos) << s.status().ToString();
  }
}

TEST(DashboardSettingsTest, LoopbackHosts) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.1.2.254"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("127.0.0"));
  EXPECT_FALSE(IsLoopbackHost("127.0.0.256"));
  EXPECT_FALSE(IsLoopbackHost("127.0.0.1.evil.example"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("localhost.example"));
}

TEST(DashboardAuthTest, TokensNameTheirUserAndRolesGateActions) {
  auto s =
      Parse("listen: '127.0.0.1:0' users { name: 'ops' role: CLIENT_ROLE_ADMIN token_sha256: '" +
            kOpsHash + "' } users { name: 'rita' role: CLIENT_ROLE_SUBSCRIBER token_sha256: '" +
            kReaderHash + "' }");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const DashboardAuth auth(*s);
  auto anonymous = auth.Authenticate("");
  ASSERT_TRUE(anonymous.ok());
  EXPECT_TRUE(anonymous->anonymous);
  auto ops = auth.Authenticate("ops-token-0123456789");
  ASSERT_TRUE(ops.ok());
  EXPECT_EQ(ops->name, "ops");
  EXPECT_EQ(ops->role, ClientRole::kAdmin);
  EXPECT_FALSE(ops->anonymous);
  auto bad = auth.Authenticate("ops-token-0123456788");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kPermissionDenied);
  auto reader = auth.Authenticate("reader-token-0123456789");
  ASSERT_TRUE(reader.ok());

  riskd::v1::Envelope protect;
  protect.mutable_intervention()->set_kind(riskd::v1::Intervention::KIND_IMMUNIZE);
  EXPECT_TRUE(DashboardAuth::AuthorizeAction(*ops, protect).ok());
  EXPECT_EQ(DashboardAuth::AuthorizeAction(*reader, protect).ToString(),
            "permission_denied: role 'subscriber' may not send intervention");
  EXPECT_EQ(DashboardAuth::AuthorizeAction(*anonymous, protect).code(),
            Status::Code::kPermissionDenied);
  riskd::v1::Envelope ack;
  ack.mutable_operator_action()->set_kind(riskd::v1::OperatorAction::KIND_ACKNOWLEDGE);
  const DashboardIdentity olga{"olga", ClientRole::kOperator, false};
  EXPECT_TRUE(DashboardAuth::AuthorizeAction(olga, ack).ok());
  EXPECT_TRUE(DashboardAuth::AuthorizeAction(*ops, ack).ok());
  EXPECT_EQ(DashboardAuth::AuthorizeAction(olga, protect).ToString(),
            "permission_denied: role 'operator' may not send intervention");
  EXPECT_EQ(DashboardAuth::AuthorizeAction(*reader, ack).ToString(),
            "permission_denied: role 'subscriber' may not send operator_action");
  riskd::v1::Envelope quake;
  quake.mutable_disruption()->set_severity(1);
  EXPECT_EQ(DashboardAuth::AuthorizeAction(*ops, quake).ToString(),
            "permission_denied: the dashboard does not send disruption");
  // What the page offers each role: the ingest's role table.
  EXPECT_EQ(DashboardAuth::ActionsFor(ClientRole::kAdmin),
            (std::vector<std::string>{"intervention", "operator_action"}));
  EXPECT_EQ(DashboardAuth::ActionsFor(ClientRole::kOperator),
            std::vector<std::string>{"operator_action"});
  EXPECT_TRUE(DashboardAuth::ActionsFor(ClientRole::kProducer).empty());
  EXPECT_TRUE(DashboardAuth::ActionsFor(ClientRole::kSubscriber).empty());

  auto closed = Parse("listen: '10.0.0.1:0'");
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(DashboardAuth(*closed).Authenticate("").status().code(),
            Status::Code::kPermissionDenied);
}

TEST(DashboardAuthTest, Sha256HexMatchesTheStandardVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace riskd::connectors
