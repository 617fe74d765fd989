// Publications on NATS subjects: the subject mapping and delivery to a real
// subscriber.
#include "connectors/nats/subject_publisher.h"

#include <gtest/gtest.h>

#include "connectors/testing/nats_fixture.h"

namespace riskd::connectors::nats {
namespace {

TEST(SubjectForTest, PrefixesTopicsAndReplacesWhatNatsReserves) {
  EXPECT_EQ(SubjectFor("riskd.out", "alert.critical.supply.N1"),
            "riskd.out.alert.critical.supply.N1");
  EXPECT_EQ(SubjectFor("riskd.out", "alert.warning.supply.Plant 7"),
            "riskd.out.alert.warning.supply.Plant_7");
  EXPECT_EQ(SubjectFor("p", "alert.info.supply.a*b>c"), "p.alert.info.supply.a_b_c");
  EXPECT_EQ(SubjectFor("p", "alert.info.supply.x."), "p.alert.info.supply.x._");
  EXPECT_EQ(SubjectFor("p", "a..b"), "p.a._.b");
  EXPECT_EQ(SubjectFor("", "projection.summary.supply"), "projection.summary.supply");
}

class SubjectPublisherTest : public testing::NatsServerTest {};

TEST_F(SubjectPublisherTest, SubscribersReceiveTheSameBytes) {
  auto c = Connect();
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub, c->get(), "riskd.out.alert.>"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(c->get()), NATS_OK);
  SubjectPublisher publisher(c.get(), "riskd.out");
  publisher.Send("projection.summary.supply", "not for this subscriber");
  publisher.Send("alert.critical.supply.N 1", std::string("\x00\x01payload", 9));
  natsMsg* msg = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&msg, sub, 5000), NATS_OK);
  EXPECT_STREQ(natsMsg_GetSubject(msg), "riskd.out.alert.critical.supply.N_1");
  EXPECT_EQ(std::string(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg))),
            std::string("\x00\x01payload", 9));
  natsMsg_Destroy(msg);
  EXPECT_EQ(publisher.sent(), 2u);
  EXPECT_EQ(publisher.failed(), 0u);
  natsSubscription_Destroy(sub);
}

}  // namespace
}  // namespace riskd::connectors::nats
