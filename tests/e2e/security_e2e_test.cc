// CURVE end to end: only allow-listed client keys get through, and each
// client's role decides what it may send (docs/protocol.md, "Security").
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <thread>

#include <sodium.h>
#include "tests/support/http_get.h"

#include "connectors/zmq/curve_auth.h"
#include "tests/support/daemon_harness.h"

namespace riskd::testing {
namespace {

using connectors::CurveClientKeys;
using connectors::CurveKeyPair;
using riskd::v1::Ack;
using riskd::v1::Envelope;

// How long a refused client waits for an answer that never comes; long
// enough for an allowed one's answer (ThreadSanitizer slows the daemon).
#if defined(__SANITIZE_THREAD__)
constexpr std::chrono::milliseconds kAnswerWithin{6000};
#else
constexpr std::chrono::milliseconds kAnswerWithin{1500};
#endif

class SecurityE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = *connectors::GenerateCurveKeyPair();
    producer_ = *connectors::GenerateCurveKeyPair();
    admin_ = *connectors::GenerateCurveKeyPair();
    subscriber_ = *connectors::GenerateCurveKeyPair();
    stranger_ = *connectors::GenerateCurveKeyPair();
    operator_ = *connectors::GenerateCurveKeyPair();
    const std::string demo = SourceDir() + "/config/demo/";
    h_ = std::make_unique<DaemonHarness>("network { csv { nodes: \"" + demo +
                                         "nodes.csv\" edges: \"" + demo +
                                         "edges.csv\" } }\n"
                                         "security { server_cert: \"server.cert\"\n"
                                         "  clients { name: \"erp\" public_key: \"" +
                                         producer_.public_key +
                                         "\" role: CLIENT_ROLE_PRODUCER }\n"
                                         "  clients { name: \"ops\" public_key: \"" +
                                         admin_.public_key +
                                         "\" role: CLIENT_ROLE_ADMIN }\n"
                                         "  clients { name: \"dash\" public_key: \"" +
                                         subscriber_.public_key +
                                         "\" role: CLIENT_ROLE_SUBSCRIBER }\n"
                                         "  clients { name: \"duty\" public_key: \"" +
                                         operator_.public_key +
                                         "\" role: CLIENT_ROLE_OPERATOR }\n"
                                         "}\n"
                                         "metrics { listen: \"127.0.0.1:0\" }\n");
    ASSERT_TRUE(connectors::SaveCurveCert((h_->dir() / "server.cert").string(), server_).ok());
  }

  // One request from a client with `keys` (none: plaintext); nullopt when
  // no answer comes (the handshake was refused).
  std::optional<Ack> Send(const Envelope& e, const CurveKeyPair* keys) {
    zmq::socket_t dealer(h_->context(), zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::linger, 0);
    if (keys) connectors::ApplyCurveClient(dealer, CurveClientKeys{server_.public_key, *keys});
    dealer.connect(h_->ingest());
    dealer.send(zmq::buffer(e.SerializeAsString()), zmq::send_flags::none);
    zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, kAnswerWithin) <= 0) return std::nullopt;
    zmq::message_t reply;
    (void)dealer.recv(reply);
    Ack ack;
    ack.ParseFromArray(reply.data(), static_cast<int>(reply.size()));
    return ack;
  }
  // Send, for requests the daemon must answer: no answer is a test failure
  // that shows the daemon's log (an empty Ack keeps the test going safely).
  Ack Answer(const Envelope& e, const CurveKeyPair* keys) {
    std::optional<Ack> ack = Send(e, keys);
    if (ack) return *ack;
    ADD_FAILURE() << "no answer to " << e.event_id() << " within " << kAnswerWithin.count()
                  << " ms; the daemon's log:\n"
                  << h_->log();
    return Ack();
  }

  static Envelope Disruption(const std::string& id) {
    Envelope e;
    e.set_event_id(id);
    e.mutable_disruption()->set_hazard(riskd::v1::HAZARD_FLOOD);
    e.mutable_disruption()->set_severity(1);
    e.mutable_disruption()->add_node_ids("FAB-KUM");
    return e;
  }
  static Envelope AddNode(const std::string& id) {
    Envelope e;
    e.set_event_id(id);
    e.mutable_network_change()->mutable_add_node()->set_id("N-" + id);
    return e;
  }

  CurveKeyPair server_, producer_, admin_, subscriber_, stranger_, operator_;
  std::unique_ptr<DaemonHarness> h_;
};

TEST_F(SecurityE2ETest, OnlyAllowListedKeysGetThroughAndRolesApply) {
  Envelope ping;
  ping.set_event_id("ping");
  ping.mutable_query()->mutable_projection();
  std::optional<Ack> ack;
  // Ready once the CURVE ingest answers an allowed client.
  ASSERT_TRUE(h_->Start([&] { return (ack = Send(ping, &subscriber_)).has_value(); }));
  EXPECT_EQ(ack->result(), Ack::RESULT_ACCEPTED);  // subscribers may query

  EXPECT_EQ(Answer(Disruption("p-1"), &producer_).result(), Ack::RESULT_ACCEPTED);
  Ack denied = Answer(AddNode("p-2"), &producer_);
  EXPECT_EQ(denied.result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(denied.reason(), "permission_denied: role 'producer' may not send network_change");
  EXPECT_EQ(Answer(AddNode("a-1"), &admin_).result(), Ack::RESULT_ACCEPTED);
  Ack sub_denied = Answer(Disruption("s-1"), &subscriber_);
  EXPECT_EQ(sub_denied.reason(), "permission_denied: role 'subscriber' may not send disruption");

  // Unknown keys and plaintext clients get nothing at all.
  EXPECT_FALSE(Send(Disruption("x-1"), &stranger_).has_value());
  EXPECT_FALSE(Send(Disruption("x-2"), nullptr).has_value());

  // Subscribers read the encrypted PUB stream; strangers do not.
  zmq::socket_t sub(h_->context(), zmq::socket_type::sub);
  connectors::ApplyCurveClient(sub, CurveClientKeys{server_.public_key, subscriber_});
  sub.set(zmq::sockopt::subscribe, "incident.");
  sub.connect(h_->publish());
  zmq::socket_t spy(h_->context(), zmq::socket_type::sub);
  connectors::ApplyCurveClient(spy, CurveClientKeys{server_.public_key, stranger_});
  spy.set(zmq::sockopt::subscribe, "");
  spy.connect(h_->publish());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Answer(Disruption("p-3"), &producer_).result(), Ack::RESULT_ACCEPTED);
  Envelope recover;
  recover.set_event_id("p-4");
  recover.mutable_supplier_status()->set_node_id("FAB-KUM");
  recover.mutable_supplier_status()->set_state(riskd::v1::NODE_STATE_SUSCEPTIBLE);
  // The incident is restored (its alerts resolve with it).
  EXPECT_EQ(Answer(recover, &producer_).result(), Ack::RESULT_ACCEPTED);
  zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
  EXPECT_EQ(zmq::poll(&item, 1, std::chrono::seconds(5)), 1);
  zmq::pollitem_t spy_item{spy.handle(), 0, ZMQ_POLLIN, 0};
  EXPECT_EQ(zmq::poll(&spy_item, 1, std::chrono::milliseconds(300)), 0);
  EXPECT_EQ(h_->Stop(), 0);
}

// Waits up to 10 s until the metric sample `name` reaches `at_least` (the
// daemon refreshes its metrics every tick); its last value (-1: not served).
double WaitForMetric(const DaemonHarness& h, const std::string& name, double at_least) {
  double value = -1;
  for (int i = 0; i < 100; ++i) {
    value = h.Metric(name).value_or(-1);
    if (value >= at_least) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return value;
}

// The same for the counter of refusals for `reason`.
double WaitForRefusals(const DaemonHarness& h, const std::string& reason, double at_least) {
  return WaitForMetric(h, "riskd_security_refusals_total{reason=\"" + reason + "\"}", at_least);
}

TEST_F(SecurityE2ETest, RefusedHandshakesAndRoleDenialsAreLoggedAndCountedByReason) {
  Envelope ping;
  ping.set_event_id("ping");
  ping.mutable_query()->mutable_projection();
  ASSERT_TRUE(h_->Start([&] { return Send(ping, &subscriber_).has_value(); }));
  EXPECT_EQ(WaitForRefusals(*h_, "unknown_key", 0), 0);
  EXPECT_EQ(WaitForRefusals(*h_, "plaintext_client", 0), 0);

  const auto first_refusal = std::chrono::steady_clock::now();
  EXPECT_FALSE(Send(Disruption("x-1"), &stranger_).has_value());
  EXPECT_GE(WaitForRefusals(*h_, "unknown_key", 1), 1);  // the client retries: 1 or more
  // (Over ipc:// libzmq gives the peer's address as "localhost:<uid>:<gid>:<pid>".)
  EXPECT_TRUE(h_->WaitForLog("security: refused (unknown_key): CURVE key " + stranger_.public_key +
                             " from localhost:"))
      << h_->log();
  EXPECT_TRUE(h_->WaitForLog(":" + std::to_string(::getpid()) + " is not in security.clients"))
      << h_->log();

  // A plain-text client: libzmq reports a security mechanism mismatch, or,
  // when the client's side noticed first and hung up, a failed handshake.
  EXPECT_FALSE(Send(Disruption("x-2"), nullptr).has_value());
  double plaintext = 0;
  for (int i = 0; i < 100 && plaintext < 1; ++i) {
    plaintext =
        WaitForRefusals(*h_, "plaintext_client", 0) + WaitForRefusals(*h_, "handshake_failed", 0);
    if (plaintext < 1) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_GE(plaintext, 1) << h_->log();
  EXPECT_TRUE(
      h_->WaitForLog("a client without CURVE connected to endpoints.ingest") ||
      h_->WaitForLog("security: refused (handshake_failed): a handshake on endpoints.ingest"))
      << h_->log();

  ASSERT_EQ(Answer(Disruption("s-1"), &subscriber_).result(), Ack::RESULT_REJECTED);
  ASSERT_EQ(Answer(AddNode("p-1"), &producer_).result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(WaitForRefusals(*h_, "role_denied", 2), 2);
  EXPECT_TRUE(h_->WaitForLog("client 'dash' (subscriber)")) << h_->log();
  EXPECT_EQ(WaitForRefusals(*h_, "rate_limited", 0), 0);

  // Rate-limited log lines: more strangers give one line per 10 s,
  // while every refusal is counted.
  const double before = WaitForRefusals(*h_, "unknown_key", 1);
  for (int i = 0; i < 3; ++i) {
    const CurveKeyPair other = *connectors::GenerateCurveKeyPair();
    EXPECT_FALSE(Send(Disruption("y-" + std::to_string(i)), &other).has_value());
  }
  EXPECT_GE(WaitForRefusals(*h_, "unknown_key", before + 3), before + 3);
  const std::string log = h_->log();
  std::size_t lines = 0;
  for (auto at = log.find("is not in security.clients"); at != std::string::npos;
       at = log.find("is not in security.clients", at + 1)) {
    ++lines;
  }
  // At most one line per 10 s since the first.
  const auto intervals =
      static_cast<std::size_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::steady_clock::now() - first_refusal)
                                   .count() /
                               10);
  EXPECT_LE(lines, intervals + 1) << log;
  EXPECT_LT(lines, before + 3) << log;  // fewer lines than refusals
  EXPECT_EQ(h_->Stop(), 0);
}

Envelope Flood(const std::string& id, std::initializer_list<const char*> nodes) {
  Envelope e;
  e.set_event_id(id);
  e.mutable_disruption()->set_hazard(riskd::v1::HAZARD_FLOOD);
  e.mutable_disruption()->set_severity(1);
  for (const char* n : nodes) e.mutable_disruption()->add_node_ids(n);
  return e;
}

// Opens a TCP connection to `endpoint` ("tcp://127.0.0.1:PORT") and closes
// it without a byte: what a TCP health check does. False if it could not.
bool ConnectAndClose(const std::string& endpoint) {
  const auto colon = endpoint.rfind(':');
  if (endpoint.rfind("tcp://127.0.0.1:", 0) != 0 || colon == std::string::npos) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(std::stoi(endpoint.substr(colon + 1))));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  const bool connected =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

// Without CURVE a peer that connects and closes before the ZMTP greeting
// (a TCP health check) was refused nothing: it is counted as an aborted
// handshake, on either endpoint, never as a security refusal, and not
// logged at warning.
TEST(PlainTransportE2ETest, ABareTcpConnectIsAnAbortedHandshakeNotARefusal) {
  DaemonHarness h(DemoNetworkConfig() + "metrics { listen: \"127.0.0.1:0\" }\n",
                  DaemonHarness::Transport::kTcpLoopback);
  ASSERT_TRUE(h.Start());
  ASSERT_TRUE(ConnectAndClose(h.ingest())) << h.ingest();
  ASSERT_TRUE(ConnectAndClose(h.publish())) << h.publish();
  // libzmq reports the failed handshake before the disconnect, on the same
  // monitor: once the disconnect is counted, the handshake was seen too.
  ASSERT_GE(WaitForMetric(h, "riskd_ingest_disconnects_total", 1), 1) << h.log();
  for (const char* endpoint : {"ingest", "publish"}) {
    const std::string name =
        std::string("riskd_aborted_handshakes_total{endpoint=\"") + endpoint + "\"}";
    EXPECT_EQ(WaitForMetric(h, name, 1), 1) << name << "\n" << h.log();
  }
  EXPECT_EQ(WaitForRefusals(h, "handshake_failed", 0), 0);
  EXPECT_EQ(WaitForRefusals(h, "plaintext_client", 0), 0);
  EXPECT_EQ(h.log().find("security: refused"), std::string::npos) << h.log();
  EXPECT_EQ(h.Stop(), 0);
}

TEST(LimitsE2ETest, OverLimitInputIsRejectedNamingTheKey) {
  DaemonHarness h(DemoNetworkConfig() +
                  "ingest { max_nodes_per_event: 2 max_place_vertices: 4 }\n");
  ASSERT_TRUE(h.Start());
  auto many = h.Send(Flood("d-1", {"FAB-KUM", "COK-CHI", "ECU-NGO"}));
  ASSERT_TRUE(many);
  EXPECT_EQ(many->result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(
      many->reason(),
      "resource_exhausted: disruption.node_ids: 3 nodes, over ingest.max_nodes_per_event (2)");
  Envelope big = Flood("d-1", {});
  auto* polygon = big.mutable_disruption()->mutable_place()->mutable_polygon();
  for (int i = 0; i < 5; ++i) {
    auto* v = polygon->add_vertices();
    v->set_lat(i);
    v->set_lon(i * i);
  }
  auto over = h.Send(big);
  ASSERT_TRUE(over);
  EXPECT_EQ(over->result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(over->reason(),
            "resource_exhausted: disruption.place.polygon: 5 vertices, over "
            "ingest.max_place_vertices (4)");
  auto two = h.Send(Flood("d-1", {"FAB-KUM", "COK-CHI"}));
  ASSERT_TRUE(two);
  EXPECT_EQ(two->result(), Ack::RESULT_ACCEPTED) << two->reason();
  EXPECT_EQ(two->journal_seq(), 1u);  // the refused ones were not journaled
  EXPECT_EQ(h.Stop(), 0);
}

TEST(LimitsE2ETest, EachPeerHasATokenBucketAndARefusedRequestChangesNothing) {
  DaemonHarness h(DemoNetworkConfig() + "ingest { peer_rate: 0.01 peer_burst: 3 }\n");
  ASSERT_TRUE(h.Start());  // its readiness query took a token or more
  // This peer (the test process) spends its bucket within 3 requests.
  std::optional<Ack> ack;
  int sent = 0;
  std::string refused_id;
  for (; sent < 3; ++sent) {
    refused_id = "r-" + std::to_string(sent);
    ack = h.Send(Flood(refused_id, {"FAB-KUM"}));
    ASSERT_TRUE(ack);
    if (ack->result() == Ack::RESULT_REJECTED) break;
  }
  ASSERT_LT(sent, 3);
  EXPECT_EQ(
      ack->reason(),
      "resource_exhausted: over ingest.peer_rate (0.01 requests/s, bursts of 3) for this peer; "
      "retry later");
  EXPECT_TRUE(h.WaitForLog("is over ingest.peer_rate; refused '" + refused_id + "'")) << h.log();
  EXPECT_EQ(h.Stop(), 0);

  // After a restart without the limit the refused event is new to the
  // journal.
  std::string config;
  {
    std::ifstream in(h.config_path());
    config.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  config.replace(config.find("peer_rate: 0.01"), 15, "peer_rate: 0");
  std::ofstream(h.config_path()) << config;
  ASSERT_TRUE(h.Start());
  auto again = h.Send(Flood(refused_id, {"FAB-KUM"}));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->result(), Ack::RESULT_ACCEPTED) << again->reason();
  EXPECT_EQ(again->journal_seq(), static_cast<std::uint64_t>(sent + 1));
  EXPECT_EQ(h.Stop(), 0);
}

TEST(ListenerRuleE2ETest, AMetricsEndpointOffLoopbackAsksForAPassword) {
  const std::string password = "correct horse battery staple";
  unsigned char digest[crypto_hash_sha256_BYTES];
  ASSERT_GE(sodium_init(), 0);
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(password.data()),
                     password.size());
  char hex[2 * sizeof digest + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);

  // Off loopback without users: refused, saying how to fix it.
  DaemonHarness open(DemoNetworkConfig() + "metrics { listen: \"0.0.0.0:0\" }\n");
  EXPECT_FALSE(open.Start());
  EXPECT_NE(open.log().find("metrics.listen '0.0.0.0:0' is not a loopback address and asks for no "
                            "authentication"),
            std::string::npos)
      << open.log();

  DaemonHarness h(DemoNetworkConfig() +
                  "metrics { listen: \"0.0.0.0:0\" users { name: \"prom\" "
                  "password_sha256: \"" +
                  std::string(hex) + "\" } }\n");
  ASSERT_TRUE(h.Start());
  const std::string port = std::to_string(h.metrics_port());
  ASSERT_NE(port, "0");
  EXPECT_FALSE(HttpGet("http://127.0.0.1:" + port + "/metrics").has_value());
  EXPECT_FALSE(HttpGet("http://prom:wrong-password@127.0.0.1:" + port + "/metrics").has_value());
  auto body =
      HttpGet("http://prom:correct%20horse%20battery%20staple@127.0.0.1:" + port + "/metrics");
  ASSERT_TRUE(body);
  EXPECT_NE(body->find("riskd_security_refusals_total{reason=\"unknown_key\"} 0"),
            std::string::npos)
      << *body;
  EXPECT_EQ(h.Stop(), 0);
}

TEST_F(SecurityE2ETest, OperatorsActOnIncidentsUnderTheirAuthenticatedName) {
  Envelope ping;
  ping.set_event_id("ping");
  ping.mutable_query()->mutable_projection();
  ASSERT_TRUE(h_->Start([&] { return Send(ping, &subscriber_).has_value(); }));
  ASSERT_EQ(Answer(Disruption("p-1"), &producer_).result(), Ack::RESULT_ACCEPTED);
  // The incident exists once the engine has applied the event.
  Envelope show;
  show.set_event_id("show");
  show.mutable_query()->mutable_incident()->set_incident_id("supply/1");
  Ack answer;
  for (int i = 0; i < 100; ++i) {
    answer = Answer(show, &subscriber_);
    if (answer.result() == Ack::RESULT_ACCEPTED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(answer.result(), Ack::RESULT_ACCEPTED) << answer.reason();

  auto act = [](const std::string& id, const std::string& who) {
    Envelope e;
    e.set_event_id(id);
    auto* a = e.mutable_operator_action();
    a->set_incident_id("supply/1");
    a->set_kind(riskd::v1::OperatorAction::KIND_ACKNOWLEDGE);
    a->set_operator_(who);
    return e;
  };
  Ack denied = Answer(act("o-1", "mallory"), &producer_);
  EXPECT_EQ(denied.reason(), "permission_denied: role 'producer' may not send operator_action");
  denied = Answer(act("o-2", "mallory"), &subscriber_);
  EXPECT_EQ(denied.reason(), "permission_denied: role 'subscriber' may not send operator_action");
  EXPECT_EQ(Answer(act("o-3", "ana"), &operator_).result(), Ack::RESULT_ACCEPTED);
  EXPECT_EQ(Answer(act("o-4", "root"), &admin_).result(), Ack::RESULT_ACCEPTED);
  // An operator may report, but not change the network.
  EXPECT_EQ(Answer(Disruption("o-5"), &operator_).result(), Ack::RESULT_ACCEPTED);
  EXPECT_EQ(Answer(AddNode("o-6"), &operator_).reason(),
            "permission_denied: role 'operator' may not send network_change");
  // Each of the three denials above is counted like any other role's.
  EXPECT_EQ(WaitForRefusals(*h_, "role_denied", 3), 3);
  // A client cannot claim to be someone else.
  Envelope forged = act("o-7", "ana");
  forged.mutable_operator_action()->set_authenticated_client("ops");
  EXPECT_NE(Answer(forged, &operator_).reason().find("authenticated_client"), std::string::npos);

  // The journaled actions carry the CURVE client names.
  for (int i = 0; i < 100; ++i) {
    answer = Answer(show, &subscriber_);
    if (answer.response().incident().operator_state().history_size() == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto& history = answer.response().incident().operator_state().history();
  ASSERT_EQ(history.size(), 2);
  EXPECT_EQ(history[0].action().operator_(), "ana");
  EXPECT_EQ(history[0].action().authenticated_client(), "duty");
  EXPECT_EQ(history[1].action().authenticated_client(), "ops");
  EXPECT_EQ(h_->Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing
