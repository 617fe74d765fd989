// CURVE end to end: only allow-listed client keys get through, and each
// client's role decides what it may send (DESIGN section 6).
#include <gtest/gtest.h>

#include <thread>

#include "connectors/zmq/curve_auth.h"
#include "tests/support/daemon_harness.h"

namespace riskd::testing {
namespace {

using connectors::CurveClientKeys;
using connectors::CurveKeyPair;
using riskd::v1::Ack;
using riskd::v1::Envelope;

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
    h_ = std::make_unique<DaemonHarness>(
        "network { csv { nodes: \"" + demo + "nodes.csv\" edges: \"" + demo + "edges.csv\" } }\n"
        "security { server_cert: \"server.cert\"\n"
        "  clients { name: \"erp\" public_key: \"" + producer_.public_key + "\" role: CLIENT_ROLE_PRODUCER }\n"
        "  clients { name: \"ops\" public_key: \"" + admin_.public_key + "\" role: CLIENT_ROLE_ADMIN }\n"
        "  clients { name: \"dash\" public_key: \"" + subscriber_.public_key + "\" role: CLIENT_ROLE_SUBSCRIBER }\n"
        "  clients { name: \"duty\" public_key: \"" + operator_.public_key + "\" role: CLIENT_ROLE_OPERATOR }\n"
        "}\n");
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
    if (zmq::poll(&item, 1, std::chrono::milliseconds(1500)) <= 0) return std::nullopt;
    zmq::message_t reply;
    (void)dealer.recv(reply);
    Ack ack;
    ack.ParseFromArray(reply.data(), static_cast<int>(reply.size()));
    return ack;
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

  EXPECT_EQ(Send(Disruption("p-1"), &producer_)->result(), Ack::RESULT_ACCEPTED);
  auto denied = Send(AddNode("p-2"), &producer_);
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(denied->reason(), "permission_denied: role 'producer' may not send network_change");
  EXPECT_EQ(Send(AddNode("a-1"), &admin_)->result(), Ack::RESULT_ACCEPTED);
  auto sub_denied = Send(Disruption("s-1"), &subscriber_);
  ASSERT_TRUE(sub_denied);
  EXPECT_EQ(sub_denied->reason(), "permission_denied: role 'subscriber' may not send disruption");

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
  EXPECT_EQ(Send(Disruption("p-3"), &producer_)->result(), Ack::RESULT_ACCEPTED);
  Envelope recover;
  recover.set_event_id("p-4");
  recover.mutable_supplier_status()->set_node_id("FAB-KUM");
  recover.mutable_supplier_status()->set_state(riskd::v1::NODE_STATE_SUSCEPTIBLE);
  // The incident is restored (its alerts resolve with it).
  EXPECT_EQ(Send(recover, &producer_)->result(), Ack::RESULT_ACCEPTED);
  zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
  EXPECT_EQ(zmq::poll(&item, 1, std::chrono::seconds(5)), 1);
  zmq::pollitem_t spy_item{spy.handle(), 0, ZMQ_POLLIN, 0};
  EXPECT_EQ(zmq::poll(&spy_item, 1, std::chrono::milliseconds(300)), 0);
  EXPECT_EQ(h_->Stop(), 0);
}

TEST_F(SecurityE2ETest, OperatorsActOnIncidentsUnderTheirAuthenticatedName) {
  Envelope ping;
  ping.set_event_id("ping");
  ping.mutable_query()->mutable_projection();
  ASSERT_TRUE(h_->Start([&] { return Send(ping, &subscriber_).has_value(); }));
  ASSERT_EQ(Send(Disruption("p-1"), &producer_)->result(), Ack::RESULT_ACCEPTED);
  // The incident exists once the engine has applied the event.
  Envelope show;
  show.set_event_id("show");
  show.mutable_query()->mutable_incident()->set_incident_id("supply/1");
  std::optional<Ack> answer;
  for (int i = 0; i < 100; ++i) {
    answer = Send(show, &subscriber_);
    if (answer && answer->result() == Ack::RESULT_ACCEPTED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(answer->result(), Ack::RESULT_ACCEPTED) << answer->reason();

  auto act = [](const std::string& id, const std::string& who) {
    Envelope e;
    e.set_event_id(id);
    auto* a = e.mutable_operator_action();
    a->set_incident_id("supply/1");
    a->set_kind(riskd::v1::OperatorAction::KIND_ACKNOWLEDGE);
    a->set_operator_(who);
    return e;
  };
  auto denied = Send(act("o-1", "mallory"), &producer_);
  EXPECT_EQ(denied->reason(), "permission_denied: role 'producer' may not send operator_action");
  denied = Send(act("o-2", "mallory"), &subscriber_);
  EXPECT_EQ(denied->reason(), "permission_denied: role 'subscriber' may not send operator_action");
  EXPECT_EQ(Send(act("o-3", "ana"), &operator_)->result(), Ack::RESULT_ACCEPTED);
  EXPECT_EQ(Send(act("o-4", "root"), &admin_)->result(), Ack::RESULT_ACCEPTED);
  // An operator may report, but not change the network.
  EXPECT_EQ(Send(Disruption("o-5"), &operator_)->result(), Ack::RESULT_ACCEPTED);
  EXPECT_EQ(Send(AddNode("o-6"), &operator_)->reason(),
            "permission_denied: role 'operator' may not send network_change");
  // A client cannot claim to be someone else.
  Envelope forged = act("o-7", "ana");
  forged.mutable_operator_action()->set_authenticated_client("ops");
  EXPECT_NE(Send(forged, &operator_)->reason().find("authenticated_client"), std::string::npos);

  // The journaled actions carry the CURVE client names.
  for (int i = 0; i < 100; ++i) {
    answer = Send(show, &subscriber_);
    if (answer->response().incident().operator_state().history_size() == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto& history = answer->response().incident().operator_state().history();
  ASSERT_EQ(history.size(), 2);
  EXPECT_EQ(history[0].action().operator_(), "ana");
  EXPECT_EQ(history[0].action().authenticated_client(), "duty");
  EXPECT_EQ(history[1].action().authenticated_client(), "ops");
  EXPECT_EQ(h_->Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing
