#include "connectors/zmq/curve_auth.h"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

namespace riskd::connectors {
namespace {

// One request over a DEALER with `keys` to `endpoint`; whether a reply came.
bool Exchange(zmq::context_t& context, const std::string& endpoint, const CurveClientKeys& keys) {
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  ApplyCurveClient(dealer, keys);
  dealer.connect(endpoint);
  dealer.send(zmq::str_buffer("ping"), zmq::send_flags::none);
  zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
  return zmq::poll(&item, 1, std::chrono::milliseconds(1500)) == 1;
}

// A CURVE ROUTER that echoes on a thread of its own until destroyed.
class EchoServer {
 public:
  EchoServer(zmq::context_t& context, const CurveKeyPair& server)
      : socket_(context, zmq::socket_type::router) {
    ApplyCurveServer(socket_, server);
    socket_.set(zmq::sockopt::linger, 0);
    socket_.bind("tcp://127.0.0.1:*");
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
    thread_ = std::thread([this] {
      while (!stop_) {
        zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, std::chrono::milliseconds(50)) <= 0) continue;
        zmq::message_t id, body;
        (void)socket_.recv(id);
        (void)socket_.recv(body);
        socket_.send(id, zmq::send_flags::sndmore);
        socket_.send(body, zmq::send_flags::none);
      }
    });
  }
  ~EchoServer() {
    stop_ = true;
    thread_.join();
  }
  const std::string& endpoint() const { return endpoint_; }
  zmq::socket_t& socket() { return socket_; }

 private:
  zmq::socket_t socket_;
  std::string endpoint_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(CurveAuthTest, WithoutAZapHandlerNoKeyGetsThrough) {
  // ZMQ_ZAP_ENFORCE_DOMAIN: a CURVE server whose ZAP handler is missing
  // fails every handshake instead of admitting any key.
  zmq::context_t context;
  const CurveKeyPair server = *GenerateCurveKeyPair();
  EchoServer echo(context, server);
  EXPECT_TRUE(ZapDomainEnforced(echo.socket()));
  EXPECT_FALSE(Exchange(context, echo.endpoint(), {server.public_key, *GenerateCurveKeyPair()}));
}

TEST(CurveAuthTest, TheHandlerAdmitsAllowedKeysAndReportsEveryOtherOne) {
  zmq::context_t context;
  const CurveKeyPair server = *GenerateCurveKeyPair();
  const CurveKeyPair allowed = *GenerateCurveKeyPair();
  const CurveKeyPair stranger = *GenerateCurveKeyPair();
  std::mutex mu;
  std::vector<ZapDenial> denials;
  auto zap = ZapHandler::Start(&context, {{allowed.public_key, {ClientRole::kProducer, "erp"}}},
                               [&](const ZapDenial& d) {
                                 std::lock_guard<std::mutex> lock(mu);
                                 denials.push_back(d);
                               });
  ASSERT_TRUE(zap.ok()) << zap.status().ToString();
  EchoServer echo(context, server);
  EXPECT_TRUE(Exchange(context, echo.endpoint(), {server.public_key, allowed}));
  EXPECT_FALSE(Exchange(context, echo.endpoint(), {server.public_key, stranger}));
  (*zap)->Stop();
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_FALSE(denials.empty());  // the stranger's client retries: one or more
  for (const auto& d : denials) {
    EXPECT_EQ(d.reason, "unknown_key");
    EXPECT_EQ(d.public_key, stranger.public_key);
    EXPECT_EQ(d.mechanism, "CURVE");
    EXPECT_EQ(d.address, "127.0.0.1");
  }
  EXPECT_EQ((*zap)->denied(), denials.size());
}

TEST(CurveAuthTest, RolesAreOrderedByWhatTheyMaySend) {
  riskd::v1::Envelope query, disruption, change;
  query.mutable_query()->mutable_snapshot();
  disruption.mutable_disruption()->set_severity(1);
  change.mutable_network_change()->set_remove_node("N");
  EXPECT_TRUE(AuthorizeEnvelope(ClientRole::kSubscriber, query).ok());
  EXPECT_EQ(AuthorizeEnvelope(ClientRole::kSubscriber, disruption).ToString(),
            "permission_denied: role 'subscriber' may not send disruption");
  EXPECT_TRUE(AuthorizeEnvelope(ClientRole::kProducer, disruption).ok());
  EXPECT_EQ(AuthorizeEnvelope(ClientRole::kProducer, change).ToString(),
            "permission_denied: role 'producer' may not send network_change");
  EXPECT_TRUE(AuthorizeEnvelope(ClientRole::kAdmin, change).ok());
}

}  // namespace
}  // namespace riskd::connectors
