// The JetStream event log against a real nats-server: publishing with
// message ids (server-side de-duplication) and reading in stream order
// through the durable pull consumer, across seeks, restarts and deleted
// messages.
#include "connectors/nats/stream_log.h"

#include <gtest/gtest.h>

#include "connectors/nats/stream_consumer.h"
#include "connectors/testing/nats_fixture.h"

namespace riskd::connectors::nats {
namespace {

class StreamLogTest : public testing::NatsServerTest {
 protected:
  StreamOptions Options() {
    StreamOptions o;
    o.stream = TestName();
    o.subject = "events." + TestName();
    o.replicas = 1;
    return o;
  }
  std::unique_ptr<StreamLog> OpenLog(NatsConnection* c) {
    EXPECT_TRUE(EnsureStream(*c, Options()).ok());
    auto log = StreamLog::Open(c, Options());
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return std::move(*log);
  }
  std::unique_ptr<StreamConsumer> OpenConsumer(NatsConnection* c, int max_batch = 100) {
    ConsumerOptions o;
    o.stream = Options().stream;
    o.subject = Options().subject;
    o.durable = "reader";
    o.max_batch = max_batch;
    auto consumer = StreamConsumer::Open(c, o);
    EXPECT_TRUE(consumer.ok()) << consumer.status().ToString();
    return std::move(*consumer);
  }
  // Publishes events "e<first>".."e<last>" with payloads "p<i>".
  void PublishRange(StreamLog* log, int first, int last) {
    std::vector<std::string> ids, payloads;
    for (int i = first; i <= last; ++i) {
      ids.push_back("e" + std::to_string(i));
      payloads.push_back("p" + std::to_string(i));
    }
    std::vector<OutgoingEvent> events;
    for (std::size_t i = 0; i < ids.size(); ++i) events.push_back({ids[i], payloads[i]});
    auto r = log->Publish(events);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  // Replaces the durable consumer "reader" on the server with one that
  // delivers from `start`, as a consumer led from a replica that lacks the
  // messages before `start` (nats-server#4174) would: the reader's pull
  // subscription, bound to it by name, then reads from there.
  void ReplaceConsumer(NatsConnection* c, std::uint64_t start) {
    jsErrCode code = static_cast<jsErrCode>(0);
    ASSERT_EQ(js_DeleteConsumer(c->js(), Options().stream.c_str(), "reader", nullptr, &code),
              NATS_OK);
    jsConsumerConfig config;
    jsConsumerConfig_Init(&config);
    config.Durable = "reader";
    config.AckPolicy = js_AckAll;
    config.DeliverPolicy = js_DeliverByStartSequence;
    config.OptStartSeq = start;
    const std::string subject = Options().subject;
    config.FilterSubject = subject.c_str();
    jsConsumerInfo* info = nullptr;
    ASSERT_EQ(js_AddConsumer(&info, c->js(), Options().stream.c_str(), &config, nullptr, &code),
              NATS_OK);
    jsConsumerInfo_Destroy(info);
  }
  // Fetches until `count` messages arrived (or 5 s passed).
  std::vector<StreamMessage> FetchAll(StreamConsumer* consumer, std::size_t count) {
    std::vector<StreamMessage> out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
      auto batch = consumer->Fetch(std::chrono::milliseconds(200));
      EXPECT_TRUE(batch.ok()) << batch.status().ToString();
      if (!batch.ok()) break;
      for (auto& m : *batch) out.push_back(std::move(m));
    }
    return out;
  }
};

TEST_F(StreamLogTest, PublishStoresInOrderAndTheServerDropsRepeatedIds) {
  auto c = Connect();
  auto log = OpenLog(c.get());
  std::vector<OutgoingEvent> first = {{"a", "A"}, {"b", "B"}, {"a", "A again"}};
  auto r = log->Publish(first);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].seq, 1u);
  EXPECT_FALSE((*r)[0].duplicate);
  EXPECT_EQ((*r)[1].seq, 2u);
  EXPECT_TRUE((*r)[2].duplicate);
  EXPECT_EQ((*r)[2].seq, 1u);
  // A retry of b, from another connection: the server answers with b's
  // original sequence and stores nothing.
  auto other = Connect("other");
  auto log2 = OpenLog(other.get());
  std::vector<OutgoingEvent> second = {{"b", "B"}, {"c", "C"}};
  r = log2->Publish(second);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)[0].duplicate);
  EXPECT_EQ((*r)[0].seq, 2u);
  EXPECT_FALSE((*r)[1].duplicate);
  EXPECT_EQ((*r)[1].seq, 3u);

  auto consumer = OpenConsumer(c.get());
  ASSERT_TRUE(consumer->Seek(1).ok());
  auto got = FetchAll(consumer.get(), 3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].payload, "A");
  EXPECT_EQ(got[1].payload, "B");
  EXPECT_EQ(got[2].payload, "C");
  EXPECT_EQ(got[2].seq, 3u);
  EXPECT_EQ(got[2].pending, 0u);
  EXPECT_GT(got[0].time_ns, 0);
  EXPECT_LE(got[0].time_ns, got[2].time_ns);
}

TEST_F(StreamLogTest, AnExistingStreamMustCaptureTheSubject) {
  auto c = Connect();
  StreamOptions o = Options();
  ASSERT_TRUE(EnsureStream(*c, o).ok());
  ASSERT_TRUE(EnsureStream(*c, o).ok());  // idempotent
  o.subject = "elsewhere." + TestName();
  const Status st = EnsureStream(*c, o);
  EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition) << st.ToString();
  EXPECT_NE(st.message().find("does not capture subject"), std::string::npos) << st.ToString();
}

TEST_F(StreamLogTest, PublishingWhereNoStreamListensFails) {
  auto c = Connect();
  StreamOptions o = Options();
  o.subject = "nobody.listens." + TestName();
  auto log = StreamLog::Open(c.get(), o);
  ASSERT_TRUE(log.ok());
  std::vector<OutgoingEvent> events = {{"x", "X"}};
  auto r = (*log)->Publish(events);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find("event 'x'"), std::string::npos) << r.status().ToString();
}

// Answers every message on its subject with a fixed publish
// acknowledgement, as a JetStream leader would (plain NATS: no stream
// stores anything).
class FakePubAcker {
 public:
  FakePubAcker(natsConnection* connection, const std::string& subject, std::string answer)
      : answer_(std::move(answer)) {
    EXPECT_EQ(natsConnection_Subscribe(&sub_, connection, subject.c_str(), &OnMsg, this), NATS_OK);
    EXPECT_EQ(natsConnection_Flush(connection), NATS_OK);
  }
  ~FakePubAcker() { natsSubscription_Destroy(sub_); }

 private:
  static void OnMsg(natsConnection* nc, natsSubscription*, natsMsg* msg, void* closure) {
    const auto* self = static_cast<FakePubAcker*>(closure);
    (void)natsConnection_PublishString(nc, natsMsg_GetReply(msg), self->answer_.c_str());
    natsMsg_Destroy(msg);
  }
  std::string answer_;
  natsSubscription* sub_ = nullptr;
};

// nats-server 2.10.14 and later 2.10 releases answer a publish whose
// message id is still being proposed, or whose proposal a leader change
// dropped, "duplicate" at sequence 0, stored or not: that is no
// acknowledgement, and the producer must be told to retry (its event may
// never be stored).
TEST_F(StreamLogTest, AnAnswerWithoutASequenceIsNotAnAcknowledgement) {
  auto c = Connect();
  StreamOptions o = Options();
  o.subject = "fake.acks." + TestName();
  auto log = StreamLog::Open(c.get(), o);
  ASSERT_TRUE(log.ok());
  {
    FakePubAcker acker(c->get(), o.subject,
                       "{\"stream\":\"" + o.stream + "\",\"seq\":0,\"duplicate\":true}");
    std::vector<OutgoingEvent> events = {{"in-flight", "X"}};
    auto r = (*log)->Publish(events);
    ASSERT_FALSE(r.ok()) << "acknowledged at " << (*r)[0].seq;
    EXPECT_EQ(r.status().code(), Status::Code::kUnavailable) << r.status().ToString();
    EXPECT_NE(r.status().message().find("event 'in-flight': the stream answered duplicate "
                                        "without a sequence"),
              std::string::npos)
        << r.status().ToString();
  }
  // A duplicate with its sequence is one.
  FakePubAcker acker(c->get(), o.subject,
                     "{\"stream\":\"" + o.stream + "\",\"seq\":7,\"duplicate\":true}");
  std::vector<OutgoingEvent> events = {{"stored", "Y"}};
  auto r = (*log)->Publish(events);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].seq, 7u);
  EXPECT_TRUE((*r)[0].duplicate);
}

TEST_F(StreamLogTest, ConsumerReadsInOrderFromAnyPositionAndAfterARestart) {
  auto c = Connect();
  auto log = OpenLog(c.get());
  PublishRange(log.get(), 1, 25);
  {
    auto consumer = OpenConsumer(c.get(), 10);  // several fetches
    ASSERT_TRUE(consumer->Seek(1).ok());
    auto got = FetchAll(consumer.get(), 25);
    ASSERT_EQ(got.size(), 25u);
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].seq, i + 1);
      EXPECT_EQ(got[i].payload, "p" + std::to_string(i + 1));
    }
    EXPECT_TRUE(consumer->Ack(25).ok());
    // Back to 20: everything from there again, in order.
    ASSERT_TRUE(consumer->Seek(20).ok());
    got = FetchAll(consumer.get(), 6);
    ASSERT_EQ(got.size(), 6u);
    EXPECT_EQ(got.front().seq, 20u);
    EXPECT_EQ(got.back().seq, 25u);
    EXPECT_TRUE(consumer->Fetch(std::chrono::milliseconds(100))->empty());
  }
  // A new process with the same durable name resumes where its own
  // position says, and sees what was published since.
  auto consumer = OpenConsumer(c.get());
  ASSERT_TRUE(consumer->Seek(26).ok());
  EXPECT_TRUE(consumer->Fetch(std::chrono::milliseconds(100))->empty());
  PublishRange(log.get(), 26, 27);
  auto got = FetchAll(consumer.get(), 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].seq, 26u);
  EXPECT_EQ(got[1].payload, "p27");
  EXPECT_EQ(consumer->position(), 27u);
}

TEST_F(StreamLogTest, DeletedMessagesLeaveGapsButNothingElseIsSkipped) {
  auto c = Connect();
  auto log = OpenLog(c.get());
  PublishRange(log.get(), 1, 8);
  jsErrCode code = static_cast<jsErrCode>(0);
  ASSERT_EQ(js_DeleteMsg(c->js(), Options().stream.c_str(), 3, nullptr, &code), NATS_OK);
  ASSERT_EQ(js_DeleteMsg(c->js(), Options().stream.c_str(), 1, nullptr, &code), NATS_OK);
  auto consumer = OpenConsumer(c.get());
  ASSERT_TRUE(consumer->Seek(1).ok());
  auto got = FetchAll(consumer.get(), 6);
  std::vector<std::uint64_t> seqs;
  for (const auto& m : got) seqs.push_back(m.seq);
  EXPECT_EQ(seqs, (std::vector<std::uint64_t>{2, 4, 5, 6, 7, 8}));
  // The gap at 3 cost one more seek (it could have been a lost batch),
  // from 3.
  EXPECT_EQ(consumer->stats().seeks, 2u);
  EXPECT_EQ(consumer->stats().last_seek_from, 3u);
}

// The reader stalled at 50 and re-created its consumer from 51, which then
// delivers from 88 (the incident: a follower that stalled at 124 applied
// 629 of 666 events). 51..87 are in the stream: that start is refused and
// the consumer re-created from 51, and every message is read, in order.
TEST_F(StreamLogTest, AStartPastMessagesTheStreamHoldsIsRefused) {
  auto c = Connect();
  auto log = OpenLog(c.get());
  PublishRange(log.get(), 1, 100);
  auto consumer = OpenConsumer(c.get(), 50);
  ASSERT_TRUE(consumer->Seek(1).ok());
  auto got = FetchAll(consumer.get(), 50);
  ASSERT_EQ(got.size(), 50u);
  EXPECT_TRUE(consumer->Ack(50).ok());
  ASSERT_TRUE(consumer->Seek(51).ok());
  ASSERT_NO_FATAL_FAILURE(ReplaceConsumer(c.get(), 88));
  got = FetchAll(consumer.get(), 50);
  std::vector<std::uint64_t> seqs, expected;
  for (const auto& m : got) seqs.push_back(m.seq);
  for (std::uint64_t s = 51; s <= 100; ++s) expected.push_back(s);
  EXPECT_EQ(seqs, expected);
  EXPECT_EQ(got.front().payload, "p51");
  EXPECT_EQ(consumer->stats().starts_refused, 1u);
  EXPECT_EQ(consumer->stats().refused_from, 51u);
  EXPECT_EQ(consumer->stats().refused_first, 88u);
  EXPECT_EQ(consumer->stats().seeks, 3u);  // 1, 51, 51 again
  EXPECT_EQ(consumer->stats().last_seek_from, 51u);
}

}  // namespace
}  // namespace riskd::connectors::nats
