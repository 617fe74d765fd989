// The PUB output with a fence and a sink (active/standby): a message goes
// out only under the epoch it was stamped with, to the socket and the sink.
#include "connectors/zmq/publisher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <thread>

namespace riskd::connectors {
namespace {

class FakeFence : public PublicationFence {
 public:
  std::optional<std::uint64_t> CurrentEpoch() const override { return epoch; }
  std::optional<std::uint64_t> epoch;
};

class RecordingSink : public PublicationSink {
 public:
  void Send(const std::string& topic, const std::string& payload) override {
    sent.emplace_back(topic, payload);
  }
  std::vector<std::pair<std::string, std::string>> sent;
};

class PublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = Publisher::Bind(&context_, "inproc://publisher_test", "", 41);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    publisher_ = std::move(*p);
    sub_.set(zmq::sockopt::subscribe, "");
    sub_.connect("inproc://publisher_test");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // The publications the subscriber received so far.
  std::vector<riskd::v1::Publication> Received() {
    std::vector<riskd::v1::Publication> out;
    zmq::message_t topic, body;
    while (sub_.recv(topic, zmq::recv_flags::dontwait)) {
      (void)sub_.recv(body, zmq::recv_flags::none);
      out.emplace_back();
      EXPECT_TRUE(out.back().ParseFromArray(body.data(), static_cast<int>(body.size())));
    }
    return out;
  }
  riskd::v1::Publication Summary() {
    riskd::v1::Publication p;
    p.mutable_projection_summary()->set_risk_type("supply");
    return p;
  }

  // Publishes a fresh summary under `topic`.
  void PublishOne(const std::string& topic) {
    auto p = Summary();
    publisher_->Publish(topic, &p, 1);
  }

  zmq::context_t context_{1};
  std::unique_ptr<Publisher> publisher_;
  zmq::socket_t sub_{context_, zmq::socket_type::sub};
};

TEST_F(PublisherTest, WithoutAFenceEverythingGoesOutUnderEpochZero) {
  auto p = Summary();
  EXPECT_EQ(publisher_->Publish("projection.summary.supply", &p, 1), 42u);
  auto got = Received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].sequence(), 42u);
  EXPECT_EQ(got[0].epoch(), 0u);
  EXPECT_TRUE(got[0].publisher().empty());
}

TEST_F(PublisherTest, OnlyTheEpochGrantedAtSendingTimeGoesOut) {
  FakeFence fence;
  RecordingSink sink;
  publisher_->SetOutputs(&fence, &sink, "riskd-a");

  auto standby = Summary();
  publisher_->Publish("projection.summary.supply", &standby, 1);  // no lease: dropped
  fence.epoch = 7;
  EXPECT_EQ(publisher_->current_epoch(), 0u);  // granted, not adopted yet
  publisher_->AdoptEpoch(7);
  EXPECT_EQ(publisher_->current_epoch(), 7u);
  auto active = Summary();
  publisher_->Publish("projection.summary.supply", &active, 2);
  // Stamped under 7, but the lease moved on before it was sent: dropped.
  auto stale = Summary();
  publisher_->Stamp(&stale, 3);
  fence.epoch = 9;
  publisher_->Send("projection.summary.supply", stale);
  // Stamped under 9, fenced off by the time it is sent: dropped.
  publisher_->AdoptEpoch(9);
  auto lapsed = Summary();
  publisher_->Stamp(&lapsed, 4);
  fence.epoch.reset();
  publisher_->Send("projection.summary.supply", lapsed);

  auto got = Received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].sequence(), 43u);
  EXPECT_EQ(got[0].epoch(), 7u);
  EXPECT_EQ(got[0].publisher(), "riskd-a");
  EXPECT_EQ(publisher_->fenced_off(), 3u);
  ASSERT_EQ(sink.sent.size(), 1u);
  EXPECT_EQ(sink.sent[0].first, "projection.summary.supply");
  EXPECT_EQ(sink.sent[0].second, got[0].SerializeAsString());
}

// A standby granted the lease in the middle of a round: the round's
// incident was stamped and dropped before the grant, so its alert, stamped
// after it, must not go out either (docs/protocol.md: an incident is
// published before the alerts it owns). Nothing of that round goes out.
TEST_F(PublisherTest, AGrantInTheMiddleOfARoundPublishesNothingOfThatRound) {
  FakeFence fence;
  publisher_->SetOutputs(&fence, nullptr, "riskd-b");
  PublishOne("incident.open");  // standby: dropped
  fence.epoch = 7;              // the lease, mid-round
  PublishOne("alert.raised");
  EXPECT_TRUE(Received().empty());
  EXPECT_EQ(publisher_->fenced_off(), 2u);
}

// A grant takes effect at the next round boundary (AdoptEpoch), and what
// the caller publishes right after it (its announcement of the open
// incidents) is the first to go out. A lapse ends the adoption at once, and
// the epoch coming back (a renewal answered after the deadline) does not
// restore it before the next boundary: the round's alert does not go out
// after its incident was dropped.
TEST_F(PublisherTest, AGrantTakesEffectAtTheNextBoundaryAndALapseEndsItUntilTheNext) {
  FakeFence fence;
  publisher_->SetOutputs(&fence, nullptr, "riskd-b");
  fence.epoch = 7;
  PublishOne("alert.raised");  // 42: dropped
  publisher_->AdoptEpoch(7);
  PublishOne("incident.open");  // 43
  PublishOne("alert.raised");   // 44
  fence.epoch.reset();
  PublishOne("incident.open");  // 45: dropped
  fence.epoch = 7;
  EXPECT_EQ(publisher_->current_epoch(), 0u);
  PublishOne("alert.raised");  // 46: dropped
  publisher_->AdoptEpoch(7);
  PublishOne("incident.open");  // 47

  auto got = Received();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].sequence(), 43u);
  EXPECT_EQ(got[1].sequence(), 44u);
  EXPECT_EQ(got[2].sequence(), 47u);
  for (const auto& p : got) EXPECT_EQ(p.epoch(), 7u);
  EXPECT_EQ(publisher_->fenced_off(), 3u);
}

// A message stamped under an epoch before a lapse must not go out after
// the same epoch is adopted again: the new adoption's announcement went out
// first, and the stale message (stamped before it, in the round the lapse
// cut short) would follow it out of order.
TEST_F(PublisherTest, AMessageStampedBeforeALapseIsNotSentAfterTheEpochIsAdoptedAgain) {
  FakeFence fence;
  publisher_->SetOutputs(&fence, nullptr, "riskd-b");
  fence.epoch = 7;
  publisher_->AdoptEpoch(7);
  auto stale = Summary();
  EXPECT_EQ(publisher_->Stamp(&stale, 1), 42u);
  EXPECT_EQ(stale.epoch(), 7u);
  fence.epoch.reset();
  PublishOne("incident.open");  // 43: dropped, the adoption ends
  fence.epoch = 7;
  publisher_->AdoptEpoch(7);
  PublishOne("projection.summary.supply");  // 44: the announcement
  publisher_->Send("projection.summary.supply", stale);

  auto got = Received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].sequence(), 44u);
  EXPECT_EQ(publisher_->fenced_off(), 2u);
}

// current_epoch() is what the daemon's status and metrics report (the
// epoch it publishes under): read from their threads while the engine
// thread adopts epochs and stamps (under ThreadSanitizer, a plain epoch
// field is a reported race). The reader sees only epochs adopted.
TEST_F(PublisherTest, TheEpochPublishedUnderIsReadFromAnotherThreadWhileItChanges) {
  FakeFence fence;
  fence.epoch = 7;
  publisher_->SetOutputs(&fence, nullptr, "riskd-a");
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> seen_other{0};
  std::thread reader([&] {
    while (!done.load()) {
      const std::uint64_t e = publisher_->current_epoch();
      if (e != 0 && e != 7) seen_other = e;
    }
  });
  for (int i = 0; i < 2000; ++i) {
    publisher_->AdoptEpoch(i % 2 == 0 ? 7 : 0);
    PublishOne("projection.summary.supply");
  }
  done = true;
  reader.join();
  EXPECT_EQ(seen_other.load(), 0u);
  EXPECT_EQ(publisher_->current_epoch(), 0u);
}

// adoption() tells another thread (the Alertmanager forwarder) which
// adoption is current: its end, and a new one of the same epoch, show.
TEST_F(PublisherTest, AdoptionShowsItsEndAndANewAdoptionOfTheSameEpoch) {
  FakeFence fence;
  publisher_->SetOutputs(&fence, nullptr, "riskd-a");
  fence.epoch = 7;
  publisher_->AdoptEpoch(7);
  auto a = publisher_->adoption();
  EXPECT_EQ(a.epoch, 7u);
  EXPECT_EQ(a.after_sequence, 41u);
  EXPECT_TRUE(a.granted);
  PublishOne("alert.raised");  // 42
  fence.epoch.reset();
  a = publisher_->adoption();  // a lapse not noticed yet: paused
  EXPECT_EQ(a.epoch, 7u);
  EXPECT_FALSE(a.granted);
  publisher_->EndLapsedAdoption();
  a = publisher_->adoption();
  EXPECT_EQ(a.epoch, 0u);
  EXPECT_FALSE(a.granted);
  fence.epoch = 7;
  publisher_->AdoptEpoch(7);
  a = publisher_->adoption();
  EXPECT_EQ(a.epoch, 7u);
  EXPECT_EQ(a.after_sequence, 42u);
  EXPECT_TRUE(a.granted);
}

// Send() serializes into the buffer the previous message left: a smaller
// message after a larger one goes out as exactly its own bytes, to the
// socket and the sink.
TEST_F(PublisherTest, ASmallerMessageAfterALargerOneGoesOutAsItsOwnBytes) {
  RecordingSink sink;
  publisher_->SetOutputs(nullptr, &sink, "");
  auto large = Summary();
  large.mutable_projection_summary()->set_risk_type(std::string(5000, 'x'));
  publisher_->Publish("projection.summary.large", &large, 1);
  auto small = Summary();
  publisher_->Publish("projection.summary.supply", &small, 2);

  auto got = Received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].projection_summary().risk_type(), std::string(5000, 'x'));
  EXPECT_EQ(got[1].SerializeAsString(), small.SerializeAsString());
  ASSERT_EQ(sink.sent.size(), 2u);
  EXPECT_EQ(sink.sent[0].second, large.SerializeAsString());
  EXPECT_EQ(sink.sent[1].second, small.SerializeAsString());
}

}  // namespace
}  // namespace riskd::connectors
