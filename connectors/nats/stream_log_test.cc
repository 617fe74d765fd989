// The JetStream event log against a real nats-server: publishing with
// message ids (server-side de-duplication) and reading in stream order
// through the durable pull consumer, across seeks, restarts and deleted
// messages.
#include "connectors/nats/stream_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <string_view>
#include <thread>

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
  // `stop`, if set, is the consumer's stop request; `lookup`, if set, its
  // leader look-up.
  std::unique_ptr<StreamConsumer> OpenConsumer(NatsConnection* c, int max_batch = 100,
                                               const std::atomic<bool>* stop = nullptr,
                                               LeaderLookUp lookup = {}) {
    ConsumerOptions o;
    o.stream = Options().stream;
    o.subject = Options().subject;
    o.durable = "reader";
    o.max_batch = max_batch;
    o.stop = stop;
    o.leader_lookup = std::move(lookup);
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
  // subscription, bound to it by name, then reads from there. `filter`, if
  // given, replaces the reader's subject.
  void ReplaceConsumer(NatsConnection* c, std::uint64_t start, const std::string& filter = "") {
    jsErrCode code = static_cast<jsErrCode>(0);
    ASSERT_EQ(js_DeleteConsumer(c->js(), Options().stream.c_str(), "reader", nullptr, &code),
              NATS_OK);
    jsConsumerConfig config;
    jsConsumerConfig_Init(&config);
    config.Durable = "reader";
    config.AckPolicy = js_AckAll;
    config.DeliverPolicy = js_DeliverByStartSequence;
    config.OptStartSeq = start;
    const std::string subject = filter.empty() ? Options().subject : filter;
    config.FilterSubject = subject.c_str();
    jsConsumerInfo* info = nullptr;
    ASSERT_EQ(js_AddConsumer(&info, c->js(), Options().stream.c_str(), &config, nullptr, &code),
              NATS_OK);
    jsConsumerInfo_Destroy(info);
  }
  // Creates the stream with the reader's subject and `other`.
  void AddStreamWith(NatsConnection* c, const std::string& other) {
    AddStream(c, Options().stream, {Options().subject, other});
  }
  // Fetches until `count` messages arrived (or `within` passed).
  std::vector<StreamMessage> FetchAll(StreamConsumer* consumer, std::size_t count,
                                      std::chrono::seconds within = std::chrono::seconds(5)) {
    std::vector<StreamMessage> out;
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
      auto batch = consumer->Fetch(std::chrono::milliseconds(200));
      EXPECT_TRUE(batch.ok()) << batch.status().ToString();
      if (!batch.ok()) break;
      for (auto& m : *batch) out.push_back(std::move(m));
    }
    return out;
  }
  // The messages' sequences, in order.
  static std::vector<std::uint64_t> SeqsOf(const std::vector<StreamMessage>& messages) {
    std::vector<std::uint64_t> seqs;
    for (const auto& m : messages) seqs.push_back(m.seq);
    return seqs;
  }
  // first, first + 1, ..., last.
  static std::vector<std::uint64_t> SeqRange(std::uint64_t first, std::uint64_t last) {
    std::vector<std::uint64_t> seqs;
    for (std::uint64_t s = first; s <= last; ++s) seqs.push_back(s);
    return seqs;
  }
  // Fetches until 50 messages arrived: they must be seqs 51..100.
  void ExpectToRead51To100(StreamConsumer* consumer) {
    EXPECT_EQ(SeqsOf(FetchAll(consumer, 50)), SeqRange(51, 100));
  }
  // Fetches until the consumer has refused `refusals` reads (or 5 s
  // passed); every fetch meanwhile returns nothing.
  void FetchUntilRefused(StreamConsumer* consumer, std::uint64_t refusals = 1) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (consumer->stats().reads_refused < refusals &&
           std::chrono::steady_clock::now() < deadline) {
      auto refused = consumer->Fetch(std::chrono::milliseconds(500));
      ASSERT_TRUE(refused.ok()) << refused.status().ToString();
      ASSERT_TRUE(refused->empty()) << refused->front().seq << " " << refused->front().payload;
    }
  }
  // Reads seqs 1..50 from a consumer created from 1 and acknowledges them.
  void ReadTo50(StreamConsumer* consumer) {
    ASSERT_TRUE(consumer->Seek(1).ok());
    ASSERT_EQ(FetchAll(consumer, 50).size(), 50u);
    EXPECT_TRUE(consumer->Ack(50).ok());
  }
  // ReadTo50, then re-creates the consumer from 51 (as after a stall at 50).
  void ReadTo50AndSeek51(StreamConsumer* consumer) {
    ASSERT_NO_FATAL_FAILURE(ReadTo50(consumer));
    ASSERT_TRUE(consumer->Seek(51).ok());
  }
  // e1..e3 at 1..3, and the reader's consumer created from 1, delivering
  // one message a fetch (each delivery its own, to lose one).
  std::unique_ptr<StreamConsumer> ThreeEventsOneAFetch(NatsConnection* c) {
    PublishRange(OpenLog(c).get(), 1, 3);
    auto consumer = OpenConsumer(c, 1);
    EXPECT_TRUE(consumer->Seek(1).ok());
    return consumer;
  }
  // A delivery of `seq` lost on the way from the reader's consumer
  // (NatsServerTest::LoseOneDelivery).
  void LoseOneDelivery(NatsConnection* c, std::uint64_t seq) {
    NatsServerTest::LoseOneDelivery(c, Options().stream, Options().subject, "reader", seq);
  }
  // Publishes "x" on `other` (a subject of the stream not the reader's),
  // which the stream stores at `seq`.
  void PublishOther(NatsConnection* c, const std::string& other, std::uint64_t seq) {
    jsPubAck* ack = nullptr;
    ASSERT_EQ(js_Publish(&ack, c->js(), other.c_str(), "x", 1, nullptr, nullptr), NATS_OK);
    ASSERT_EQ(ack->Sequence, seq);
    jsPubAck_Destroy(ack);
  }
  // Publishes, in `layout`'s order, the reader's next event for each 'e'
  // (e<first>, e<first + 1>, ...: PublishRange's) and "x" on `other` for
  // each 'x'; the stream stores them from `first_seq` on. "exee": e1, x,
  // e2, e3 at 1..4.
  void PublishLayout(NatsConnection* c, StreamLog* log, const std::string& other,
                     std::string_view layout, int first = 1, std::uint64_t first_seq = 1) {
    int next = first;
    std::uint64_t seq = first_seq;
    for (const char kind : layout) {
      if (kind == 'e') {
        ASSERT_NO_FATAL_FAILURE(PublishRange(log, next, next));
        ++next;
      } else {
        ASSERT_NO_FATAL_FAILURE(PublishOther(c, other, seq));
      }
      ++seq;
    }
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
  // Every start and batch was the leader's: none refused (a refusal would
  // only have cost FetchAll another round).
  EXPECT_EQ(consumer->stats().reads_refused, 0u);
}

// The reader read 1..10; its consumer is replaced by one that delivers
// from 1 again (as a redelivery of what was fetched would): everything up
// to the position is dropped and counted as a redelivery, not returned
// again, and what follows is read in order, with no re-creation, no jump
// and no refusal.
TEST_F(StreamLogTest, MessagesUpToThePositionAreDroppedAsRedeliveries) {
  auto c = Connect();
  auto log = OpenLog(c.get());
  PublishRange(log.get(), 1, 20);
  auto consumer = OpenConsumer(c.get(), 10);
  ASSERT_TRUE(consumer->Seek(1).ok());
  ASSERT_EQ(SeqsOf(FetchAll(consumer.get(), 10)), SeqRange(1, 10));
  ASSERT_NO_FATAL_FAILURE(ReplaceConsumer(c.get(), 1));
  EXPECT_EQ(SeqsOf(FetchAll(consumer.get(), 10)), SeqRange(11, 20));
  const ConsumerStats& stats = consumer->stats();
  EXPECT_EQ(stats.redelivered, 10u);
  EXPECT_EQ(stats.seeks, 1u);
  EXPECT_EQ(stats.jumps_taken, 0u);
  EXPECT_EQ(stats.lost_deliveries, 0u);
  EXPECT_EQ(stats.reads_refused, 0u);
  EXPECT_EQ(consumer->position(), 20u);
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
  EXPECT_EQ(SeqsOf(FetchAll(consumer.get(), 6)), (std::vector<std::uint64_t>{2, 4, 5, 6, 7, 8}));
  // The jump over 3 (it could have been a lost batch) was taken on the
  // stream leader's word that 4 is its first from 3 on: no re-creation.
  // (The start at 2, past the deleted 1, is a start's check.)
  EXPECT_EQ(consumer->stats().seeks, 1u);
  EXPECT_EQ(consumer->stats().jumps_taken, 1u);
  EXPECT_EQ(consumer->stats().reads_refused, 0u);
}

// The reader stalled at 50 and re-created its consumer from 51, which then
// delivers from 88 (the incident: a follower that stalled at 124 applied
// 629 of 666 events). 51..87 are in the stream: that start is refused, the
// fetch that refused it returns nothing and leaves the re-creation from 51
// to the next fetch (the caller learns of the refusal first, and pauses),
// and every message is read, in order.
TEST_F(StreamLogTest, AStartPastMessagesTheStreamHoldsIsRefused) {
  auto c = Connect();
  auto log = OpenLog(c.get());
  PublishRange(log.get(), 1, 100);
  auto consumer = OpenConsumer(c.get(), 50);
  ASSERT_NO_FATAL_FAILURE(ReadTo50AndSeek51(consumer.get()));
  ASSERT_NO_FATAL_FAILURE(ReplaceConsumer(c.get(), 88));
  ASSERT_NO_FATAL_FAILURE(FetchUntilRefused(consumer.get()));
  EXPECT_EQ(consumer->stats().reads_refused, 1u);
  EXPECT_EQ(consumer->stats().seeks, 2u);  // 1, 51: not re-created yet
  auto got = FetchAll(consumer.get(), 50);
  EXPECT_EQ(SeqsOf(got), SeqRange(51, 100));
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.front().payload, "p51");
  EXPECT_EQ(consumer->stats().reads_refused, 1u);
  EXPECT_EQ(consumer->stats().refused_from, 51u);
  EXPECT_EQ(consumer->stats().refused_at, 88u);
  EXPECT_EQ(consumer->stats().seeks, 3u);  // 1, 51, 51 again
  EXPECT_EQ(consumer->stats().last_seek_from, 51u);
}

// The incident: the reader stalled at 50 and re-created its consumer from
// 51, which delivers at seq 51 itself another message than the stream's
// leader's first from 51 on the reader's subject (a replica that diverged
// would deliver another event there; a real server cannot be made to hold
// two messages at one sequence, and one refuses a client's forged
// delivery, so here the consumer is swapped for one on another subject of
// the stream, which holds "x" at 51). The sequence is the one sought, yet
// the start is refused (the reason names both messages), nothing is
// returned, and the consumer re-created from 51 by the next fetch reads
// every message, in order. (Before, a start at the sequence sought was
// taken unchecked: "x" was returned as the reader's message at 51.)
TEST_F(StreamLogTest, AStartAtAnotherMessageThanTheLeadersIsRefused) {
  auto c = Connect();
  const std::string other = "other." + TestName();
  ASSERT_NO_FATAL_FAILURE(AddStreamWith(c.get(), other));
  auto log = OpenLog(c.get());
  PublishRange(log.get(), 1, 50);
  jsPubAck* ack = nullptr;
  ASSERT_EQ(js_Publish(&ack, c->js(), other.c_str(), "x", 1, nullptr, nullptr), NATS_OK);
  ASSERT_EQ(ack->Sequence, 51u);
  jsPubAck_Destroy(ack);
  PublishRange(log.get(), 51, 60);  // seqs 52..61
  auto consumer = OpenConsumer(c.get(), 50);
  ASSERT_NO_FATAL_FAILURE(ReadTo50AndSeek51(consumer.get()));
  ASSERT_NO_FATAL_FAILURE(ReplaceConsumer(c.get(), 51, other));
  ASSERT_NO_FATAL_FAILURE(FetchUntilRefused(consumer.get()));
  EXPECT_EQ(consumer->position(), 50u);
  EXPECT_EQ(consumer->stats().reads_refused, 1u);
  EXPECT_EQ(consumer->stats().refused_from, 51u);
  EXPECT_EQ(consumer->stats().refused_at, 51u);
  EXPECT_EQ(consumer->stats().refused_why,
            "the leader holds seq 52 first, 'e51' (3 bytes), not the delivered no id (1 bytes)");
  auto got = FetchAll(consumer.get(), 10);
  EXPECT_EQ(SeqsOf(got), SeqRange(52, 61));
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.front().payload, "p51");
  EXPECT_EQ(consumer->stats().reads_refused, 1u);
  EXPECT_EQ(consumer->stats().seeks, 3u);  // 1, 51, 51 again
}

// A consumer that started right delivers, mid-read, other messages under
// the next sequences: as a consumer whose replica lost a message after the
// start delivers every later one under the sequence before its own
// (nats-server#4365; here the consumer is swapped on the server for one on
// another subject of the stream, which holds "x51".."x60" at 51..60, the
// reader's events e51..e60 at 61..70). The reader has read 1..50 and not
// re-created its consumer, so no start is checked: the batch of 51..60 is
// in order and without gaps, and its last message is not the leader's at
// 60. It is refused (nothing returned, the position stays at 50), and the
// consumer re-created from 51 by the next fetch reads e51..e60, in order.
// (Before the batch check, x51..x60 were returned as the reader's 51..60.)
TEST_F(StreamLogTest, ABatchMidReadOfOtherMessagesThanTheLeadersIsRefused) {
  auto c = Connect();
  const std::string other = "other." + TestName();
  ASSERT_NO_FATAL_FAILURE(AddStreamWith(c.get(), other));
  auto log = OpenLog(c.get());
  PublishRange(log.get(), 1, 50);
  for (int i = 51; i <= 60; ++i) {
    const std::string x = "x" + std::to_string(i);
    jsPubAck* ack = nullptr;
    ASSERT_EQ(js_Publish(&ack, c->js(), other.c_str(), x.data(), static_cast<int>(x.size()),
                         nullptr, nullptr),
              NATS_OK);
    ASSERT_EQ(ack->Sequence, static_cast<std::uint64_t>(i));
    jsPubAck_Destroy(ack);
  }
  PublishRange(log.get(), 51, 60);  // seqs 61..70
  auto consumer = OpenConsumer(c.get(), 50);
  ASSERT_NO_FATAL_FAILURE(ReadTo50(consumer.get()));
  ASSERT_NO_FATAL_FAILURE(ReplaceConsumer(c.get(), 51, other));
  ASSERT_NO_FATAL_FAILURE(FetchUntilRefused(consumer.get()));
  EXPECT_EQ(consumer->position(), 50u);
  EXPECT_EQ(consumer->stats().reads_refused, 1u);
  EXPECT_EQ(consumer->stats().refused_from, 51u);
  EXPECT_EQ(consumer->stats().refused_at, 60u);
  EXPECT_EQ(consumer->stats().refused_why,
            "the leader holds seq 61 first, 'e51' (3 bytes), not the delivered no id (3 bytes)");
  EXPECT_EQ(consumer->stats().seeks, 1u);  // re-created by the next fetch
  auto got = FetchAll(consumer.get(), 10);
  EXPECT_EQ(SeqsOf(got), SeqRange(61, 70));
  std::vector<std::string> payloads, expected_payloads;
  for (const auto& m : got) payloads.push_back(m.payload);
  for (int i = 51; i <= 60; ++i) expected_payloads.push_back("p" + std::to_string(i));
  EXPECT_EQ(payloads, expected_payloads);
  EXPECT_EQ(consumer->stats().reads_refused, 1u);
  EXPECT_EQ(consumer->stats().seeks, 2u);  // 1, 51
  EXPECT_EQ(consumer->stats().last_seek_from, 51u);
}

// A stop request while a batch mid-read (51..100, after 1..50) is checked
// against the leader: the batch is not returned (it was not checked), no
// refusal is counted, the position stays at 50, and no consumer is
// re-created while the stop lasts (another fetch returns nothing at once).
// Once the stop is withdrawn, the next fetches re-create it from 51 and
// read 51..100.
TEST_F(StreamLogTest, ABatchWhoseCheckAStopEndsIsNotReturned) {
  auto c = Connect();
  auto log = OpenLog(c.get());
  PublishRange(log.get(), 1, 100);
  std::atomic<bool> stop{false};
  auto consumer = OpenConsumer(c.get(), 50, &stop);
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(consumer->Seek(1).ok());
  ASSERT_EQ(FetchAll(consumer.get(), 50).size(), 50u);
  stop = true;  // the batch check sees it before any answer
  auto got = consumer->Fetch(std::chrono::milliseconds(2000));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->empty()) << got->front().seq;
  EXPECT_EQ(consumer->position(), 50u);
  EXPECT_EQ(consumer->stats().reads_refused, 0u);
  got = consumer->Fetch(std::chrono::milliseconds(2000));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->empty());
  EXPECT_EQ(consumer->stats().seeks, 1u);
  stop = false;
  ExpectToRead51To100(consumer.get());
  EXPECT_EQ(consumer->stats().reads_refused, 0u);
  EXPECT_EQ(consumer->stats().seeks, 2u);  // 1, 51
  EXPECT_EQ(consumer->stats().last_seek_from, 51u);
}

// A leader look-up over the real one (RequestLeaderFirstFrom on the test's
// server) that a script may answer in its place: what one server cannot
// (another message at a sequence, "no leader" for a while). Records every
// sequence asked since the script was set.
class ScriptedLeader {
 public:
  using Answer = Result<std::optional<LeaderMessage>>;
  // Its answer to the `call`th look-up (from 0) since it was set, from
  // `from`; nullopt: the real answer.
  using Script = std::function<std::optional<Answer>(std::uint64_t from, std::size_t call)>;

  ScriptedLeader(const NatsConnection* c, StreamOptions stream)
      : connection_(c), stream_(std::move(stream)) {}
  LeaderLookUp LookUp() {
    return [this](std::uint64_t from) { return Ask(from); };
  }
  void Play(Script script) {
    script_ = std::move(script);
    asked_.clear();
  }
  const std::vector<std::uint64_t>& asked() const { return asked_; }

 private:
  Answer Ask(std::uint64_t from) {
    const std::size_t call = asked_.size();
    asked_.push_back(from);
    if (script_) {
      if (auto answer = script_(from, call)) return *answer;
    }
    return RequestLeaderFirstFrom(*connection_, stream_.stream, stream_.subject, from, nullptr);
  }
  const NatsConnection* connection_;
  StreamOptions stream_;
  Script script_;
  std::vector<std::uint64_t> asked_;
};

constexpr char kNoLeader[] = "no leader (JetStream error 10008)";

// What a stream without a leader answers, as the look-up returns it.
ScriptedLeader::Answer NoLeader() { return Status::Unavailable(kNoLeader); }

// A replica that diverged holds another message at a sequence than the
// leader, and a consumer it leads delivers that one (nats-server#4174,
// #4365). One server cannot hold two messages at one sequence: here the
// leader's look-up answers another payload at 100, the end of the batch
// 51..100 read after 1..50. The batch is refused (nothing returned, the
// position stays at 50). The next fetch re-creates the consumer from 51,
// which delivers 51..100 again (its start and its end asked again), refused
// again while the leader says so; once it agrees, 51..100 are returned, in
// order.
TEST_F(StreamLogTest, ABatchEndingInAnotherMessageThanTheLeadersIsRefusedUntilItAgrees) {
  auto c = Connect();
  auto log = OpenLog(c.get());
  PublishRange(log.get(), 1, 100);
  ScriptedLeader leader(c.get(), Options());
  auto consumer = OpenConsumer(c.get(), 50, nullptr, leader.LookUp());
  ASSERT_NO_FATAL_FAILURE(ReadTo50(consumer.get()));
  const auto another_at_100 = [](std::uint64_t from,
                                 std::size_t) -> std::optional<ScriptedLeader::Answer> {
    if (from != 100) return std::nullopt;
    return std::optional<LeaderMessage>(LeaderMessage{100, "x100", "other"});
  };
  leader.Play(another_at_100);
  ASSERT_NO_FATAL_FAILURE(FetchUntilRefused(consumer.get()));
  const ConsumerStats& stats = consumer->stats();
  EXPECT_EQ(consumer->position(), 50u);
  EXPECT_EQ(stats.reads_refused, 1u);
  EXPECT_EQ(stats.refused_from, 51u);
  EXPECT_EQ(stats.refused_at, 100u);
  EXPECT_EQ(stats.refused_why,
            "the leader holds 'x100' (5 bytes) there, not the delivered 'e100' (4 bytes) (a "
            "replica that diverged, nats-server#4174, #4365?)");
  EXPECT_EQ(leader.asked(), (std::vector<std::uint64_t>{100}));
  EXPECT_EQ(stats.seeks, 1u);  // re-created by the next fetch
  leader.Play(another_at_100);
  ASSERT_NO_FATAL_FAILURE(FetchUntilRefused(consumer.get(), 2));
  EXPECT_EQ(leader.asked(), (std::vector<std::uint64_t>{51, 100}));
  EXPECT_EQ(consumer->position(), 50u);
  EXPECT_EQ(stats.refused_at, 100u);
  EXPECT_EQ(stats.seeks, 2u);
  EXPECT_EQ(stats.last_seek_from, 51u);
  leader.Play(nullptr);
  const auto got = FetchAll(consumer.get(), 50);
  EXPECT_EQ(SeqsOf(got), SeqRange(51, 100));
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back().payload, "p100");
  EXPECT_EQ(stats.reads_refused, 2u);
  EXPECT_EQ(stats.seeks, 3u);  // 1, 51, 51 again
}

// A stream leader change: for a moment no leader answers (JetStream error
// 10008), and a just-elected one may answer "none" until it has applied
// the last committed entry. Such answers are asked again (every 100 ms)
// within the connection's timeout (1 s here): "no leader" twice and "none"
// once, then the message: the batch is returned, no refusal. No leader
// beyond the timeout: the batch is refused once (nothing returned), and
// read again from a re-created consumer once the leader answers.
TEST_F(StreamLogTest, AnIndefiniteAnswerIsAskedAgainAndRefusedOnlyPastTheTimeout) {
  auto c = Connect("test", std::chrono::milliseconds(1000));
  auto log = OpenLog(c.get());
  PublishRange(log.get(), 1, 100);
  ScriptedLeader leader(c.get(), Options());
  auto consumer = OpenConsumer(c.get(), 50, nullptr, leader.LookUp());
  ASSERT_NO_FATAL_FAILURE(ReadTo50(consumer.get()));
  leader.Play([](std::uint64_t, std::size_t call) -> std::optional<ScriptedLeader::Answer> {
    if (call < 2) return NoLeader();
    if (call == 2) return std::optional<LeaderMessage>();  // "none"
    return std::nullopt;
  });
  auto got = consumer->Fetch(std::chrono::milliseconds(2000));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(SeqsOf(*got), SeqRange(51, 100));
  EXPECT_EQ(leader.asked(), (std::vector<std::uint64_t>{100, 100, 100, 100}));
  const ConsumerStats& stats = consumer->stats();
  EXPECT_EQ(stats.reads_refused, 0u);
  EXPECT_TRUE(consumer->Ack(100).ok());

  PublishRange(log.get(), 101, 150);
  leader.Play([](std::uint64_t, std::size_t) -> std::optional<ScriptedLeader::Answer> {
    return NoLeader();
  });
  const auto refusing = std::chrono::steady_clock::now();
  ASSERT_NO_FATAL_FAILURE(FetchUntilRefused(consumer.get()));
  const auto refused_after = std::chrono::steady_clock::now() - refusing;
  EXPECT_EQ(consumer->position(), 100u);
  EXPECT_EQ(stats.reads_refused, 1u);
  EXPECT_EQ(stats.refused_from, 101u);
  EXPECT_EQ(stats.refused_at, 150u);
  EXPECT_EQ(stats.refused_why, std::string("the leader did not say: unavailable: ") + kNoLeader);
  EXPECT_GE(leader.asked().size(), 2u);  // asked again before it counted
  // Asked again until less than one 100 ms pause of the timeout was left:
  // not refused sooner (a lower bound, whatever the machine's load; 50 ms
  // for the clocks' granularity).
  EXPECT_GE(refused_after, c->timeout() - std::chrono::milliseconds(150))
      << std::chrono::duration_cast<std::chrono::milliseconds>(refused_after).count() << " ms";
  leader.Play(nullptr);
  EXPECT_EQ(SeqsOf(FetchAll(consumer.get(), 50)), SeqRange(101, 150));
  EXPECT_EQ(stats.reads_refused, 1u);
  EXPECT_EQ(stats.seeks, 2u);  // 1, 101
  EXPECT_EQ(stats.last_seek_from, 101u);
}

// A stop request while an indefinite answer is being asked again (between
// two look-ups; here a scripted one, which does not watch the stop
// request): the consumer asks no more, returns nothing of the batch,
// counts no refusal, and re-creates nothing while the stop lasts. Once it
// is withdrawn, 51..100 are read. (A stop during a look-up itself:
// ABatchWhoseCheckAStopEndsIsNotReturned.)
TEST_F(StreamLogTest, AStopWhileTheLeaderIsAskedAgainIsNoRefusal) {
  auto c = Connect("test", std::chrono::milliseconds(1000));
  auto log = OpenLog(c.get());
  PublishRange(log.get(), 1, 100);
  std::atomic<bool> stop{false};
  ScriptedLeader leader(c.get(), Options());
  auto consumer = OpenConsumer(c.get(), 50, &stop, leader.LookUp());
  ASSERT_NO_FATAL_FAILURE(ReadTo50(consumer.get()));
  leader.Play([&stop](std::uint64_t, std::size_t call) -> std::optional<ScriptedLeader::Answer> {
    if (call == 1) stop = true;
    return NoLeader();
  });
  auto got = consumer->Fetch(std::chrono::milliseconds(2000));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->empty()) << got->front().seq;
  EXPECT_EQ(leader.asked().size(), 2u);
  EXPECT_EQ(consumer->position(), 50u);
  const ConsumerStats& stats = consumer->stats();
  EXPECT_EQ(stats.reads_refused, 0u);
  got = consumer->Fetch(std::chrono::milliseconds(2000));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->empty());
  EXPECT_EQ(stats.seeks, 1u);
  stop = false;
  leader.Play(nullptr);
  ExpectToRead51To100(consumer.get());
  EXPECT_EQ(stats.reads_refused, 0u);
  EXPECT_EQ(stats.seeks, 2u);  // 1, 51
}

// A stream shared with another subject: e1..e30 on the reader's, with 0, 1
// or 2 messages of the other after each. Every jump in the sequence is
// taken on the leader's word (one look-up each), without a consumer
// re-creation (before: one for each jump). A real gap (the consumer
// replaced on the server by one that delivers from e35, as after a lost
// batch, once e31..e40 followed) is still read again from a re-created
// consumer: e31..e40, in order.
TEST_F(StreamLogTest, OtherSubjectsMessagesInBetweenCostNoReCreation) {
  auto c = Connect();
  const std::string other = "other." + TestName();
  ASSERT_NO_FATAL_FAILURE(AddStreamWith(c.get(), other));
  auto log = OpenLog(c.get());
  std::vector<std::uint64_t> seqs;  // e1, e2, ...'s
  std::uint64_t jumps = 0;          // e2..e30 after another subject's message
  const auto publish = [&](int first, int last) {
    for (int i = first; i <= last; ++i) {
      ASSERT_NO_FATAL_FAILURE(PublishRange(log.get(), i, i));
      seqs.push_back(seqs.empty() ? 1 : seqs.back() + 1 + static_cast<std::uint64_t>((i - 1) % 3));
      for (int k = 0; k < i % 3; ++k)
        ASSERT_NO_FATAL_FAILURE(PublishOther(c.get(), other, seqs.back() + 1 + k));
      if (i > 1 && i <= 30 && (i - 1) % 3 != 0) ++jumps;
    }
  };
  ASSERT_NO_FATAL_FAILURE(publish(1, 30));
  auto consumer = OpenConsumer(c.get(), 100);
  ASSERT_TRUE(consumer->Seek(1).ok());
  auto got = FetchAll(consumer.get(), 30);
  EXPECT_EQ(SeqsOf(got), seqs);
  ASSERT_EQ(got.size(), 30u);
  EXPECT_EQ(got.back().payload, "p30");
  const ConsumerStats& stats = consumer->stats();
  EXPECT_EQ(stats.seeks, 1u);
  EXPECT_EQ(stats.jumps_taken, jumps);
  EXPECT_EQ(jumps, 20u);
  EXPECT_EQ(stats.reads_refused, 0u);
  EXPECT_TRUE(consumer->Ack(seqs.back()).ok());

  ASSERT_NO_FATAL_FAILURE(publish(31, 40));
  ASSERT_NO_FATAL_FAILURE(ReplaceConsumer(c.get(), seqs[34]));  // e35
  got = FetchAll(consumer.get(), 10);
  EXPECT_EQ(SeqsOf(got), std::vector<std::uint64_t>(seqs.begin() + 30, seqs.end()));
  ASSERT_EQ(got.size(), 10u);
  EXPECT_EQ(got.front().payload, "p31");
  EXPECT_EQ(stats.seeks, 2u);
  EXPECT_EQ(stats.last_seek_from, seqs[29] + 1);
  EXPECT_EQ(stats.reads_refused, 0u);
}

// A delivery lost on the way (here e2, which another pull subscription
// bound to the reader's consumer takes): the next one, e3, jumps past e2,
// which the leader holds first on the subject. A gap (the consumer
// re-created from 2, e2 and e3 read in order), but no mismatch: the
// consumer sequence skipped a delivery too, so it was lost, not passed
// over (a replica that lacks e2 would deliver e3 next in turn).
TEST_F(StreamLogTest, AJumpPastALostDeliveryIsAGapNotAMismatch) {
  auto c = Connect();
  auto consumer = ThreeEventsOneAFetch(c.get());
  ASSERT_EQ(SeqsOf(FetchAll(consumer.get(), 1)), (std::vector<std::uint64_t>{1}));
  ASSERT_NO_FATAL_FAILURE(LoseOneDelivery(c.get(), 2));
  const auto got = FetchAll(consumer.get(), 2);
  EXPECT_EQ(SeqsOf(got), (std::vector<std::uint64_t>{2, 3}));
  const ConsumerStats& stats = consumer->stats();
  EXPECT_EQ(stats.jump_mismatches, 0u);
  EXPECT_EQ(stats.lost_deliveries, 1u);
  EXPECT_EQ(stats.seeks, 2u);  // 1, 2
  EXPECT_EQ(stats.last_seek_from, 2u);
  EXPECT_EQ(stats.jumps_taken, 0u);
  EXPECT_EQ(stats.reads_refused, 0u);
}

// The first delivery of a new consumer lost on the way (here e1, which
// another pull subscription bound to the reader's consumer takes): the
// start, e2, is not the leader's first from 1, but its consumer sequence
// (2) shows a delivery was lost, so it is a gap (the consumer re-created
// from 1 at once, e1..e3 read in order), counted in lost_deliveries, not a
// refusal. (Before, it was refused: warned, not caught up, paused.)
TEST_F(StreamLogTest, AStartPastALostFirstDeliveryIsAGapNotARefusal) {
  auto c = Connect();
  auto consumer = ThreeEventsOneAFetch(c.get());
  ASSERT_NO_FATAL_FAILURE(LoseOneDelivery(c.get(), 1));
  const auto got = FetchAll(consumer.get(), 3);
  EXPECT_EQ(SeqsOf(got), SeqRange(1, 3));
  const ConsumerStats& stats = consumer->stats();
  EXPECT_EQ(stats.reads_refused, 0u);
  EXPECT_EQ(stats.lost_deliveries, 1u);
  EXPECT_EQ(stats.jump_mismatches, 0u);
  EXPECT_EQ(stats.seeks, 2u);  // 1, 1 again
  EXPECT_EQ(stats.last_seek_from, 1u);
}

// A lost first delivery is forgiven once in a row: the consumer re-created
// after it loses its first delivery too, and that start is refused, as a
// start from a replica that lacks messages would be whatever its
// deliveries' numbers. Nothing is returned meanwhile, and the consumer
// re-created after the refusal reads e1..e3 in order.
TEST_F(StreamLogTest, TwoStartsInARowPastALostFirstDeliveryAreRefused) {
  auto c = Connect();
  auto consumer = ThreeEventsOneAFetch(c.get());
  ASSERT_NO_FATAL_FAILURE(LoseOneDelivery(c.get(), 1));
  auto none = consumer->Fetch(std::chrono::milliseconds(2000));
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(consumer->stats().lost_deliveries, 1u);
  EXPECT_EQ(consumer->stats().seeks, 2u);  // re-created at once
  ASSERT_NO_FATAL_FAILURE(LoseOneDelivery(c.get(), 1));
  ASSERT_NO_FATAL_FAILURE(FetchUntilRefused(consumer.get()));
  const ConsumerStats& stats = consumer->stats();
  EXPECT_EQ(stats.reads_refused, 1u);
  EXPECT_EQ(stats.refused_from, 1u);
  EXPECT_EQ(stats.refused_at, 2u);
  EXPECT_EQ(stats.lost_deliveries, 1u);
  EXPECT_EQ(SeqsOf(FetchAll(consumer.get(), 3)), SeqRange(1, 3));
  EXPECT_EQ(stats.reads_refused, 1u);
  EXPECT_EQ(stats.lost_deliveries, 1u);
  EXPECT_EQ(stats.seeks, 3u);  // 1, 1, 1 after the refusal
}

// Over a stream shared with another subject: a jump the leader does not
// confirm.
class StreamJumpTest : public StreamLogTest {
 protected:
  // e1, x, e2, e3 at 1..4, read from 1 with the leader's look-up answering
  // `at_jump` at the jump to e2 (its second ask, from 2), the real one
  // otherwise. An answer that is not e2 is a gap, not a refusal: the jump
  // is asked once, the consumer re-created from 2 (its start, e2, checked
  // and taken), and e1..e3 are read in order. The consumer's stats.
  ConsumerStats ReadPastAJumpAnswered(const ScriptedLeader::Answer& at_jump) {
    auto c = Connect();
    const std::string other = "other." + TestName();
    EXPECT_NO_FATAL_FAILURE(AddStreamWith(c.get(), other));
    auto log = OpenLog(c.get());
    EXPECT_NO_FATAL_FAILURE(PublishLayout(c.get(), log.get(), other, "exee"));
    ScriptedLeader leader(c.get(), Options());
    leader.Play(
        [at_jump](std::uint64_t from, std::size_t call) -> std::optional<ScriptedLeader::Answer> {
          if (call != 1 || from != 2) return std::nullopt;
          return at_jump;
        });
    auto consumer = OpenConsumer(c.get(), 100, nullptr, leader.LookUp());
    EXPECT_TRUE(consumer->Seek(1).ok());
    const auto got = FetchAll(consumer.get(), 3);
    EXPECT_EQ(SeqsOf(got), (std::vector<std::uint64_t>{1, 3, 4}));
    std::vector<std::string> payloads;
    for (const auto& m : got) payloads.push_back(m.payload);
    EXPECT_EQ(payloads, (std::vector<std::string>{"p1", "p2", "p3"}));
    // The start, the jump, the re-created consumer's start, its batch's end.
    EXPECT_EQ(leader.asked(), (std::vector<std::uint64_t>{1, 2, 2, 4}));
    const ConsumerStats& stats = consumer->stats();
    EXPECT_EQ(stats.seeks, 2u);  // 1, 2
    EXPECT_EQ(stats.last_seek_from, 2u);
    EXPECT_EQ(stats.jumps_taken, 0u);
    EXPECT_EQ(stats.reads_refused, 0u);
    return stats;
  }
};

// The delivered message has the leader's sequence but not its payload (a
// replica that diverged holds another event there; here the look-up
// answers "zz" at e2's seq 3): not taken, counted in jump_mismatches with
// what the leader holds.
TEST_F(StreamJumpTest, AJumpToAnotherPayloadThanTheLeadersIsAGapNotARefusal) {
  const ConsumerStats stats =
      ReadPastAJumpAnswered(std::optional<LeaderMessage>(LeaderMessage{3, "e2", "zz"}));
  EXPECT_EQ(stats.jump_mismatches, 1u);
  EXPECT_EQ(stats.lost_deliveries, 0u);  // delivered in turn
  EXPECT_EQ(stats.jump_mismatch_from, 2u);
  EXPECT_EQ(stats.jump_mismatch_at, 3u);
  EXPECT_EQ(stats.jump_mismatch_why,
            "the leader holds 'e2' (2 bytes) there, not the delivered 'e2' (2 bytes) (a replica "
            "that diverged, nats-server#4174, #4365?)");
}

// "No leader" at a jump: asked once (a start's or a batch end's check
// would ask again), and no mismatch either.
TEST_F(StreamJumpTest, NoLeaderAtAJumpIsAGapAskedOnce) {
  const ConsumerStats stats = ReadPastAJumpAnswered(NoLeader());
  EXPECT_EQ(stats.jump_mismatches, 0u);
}

// A batch with a jump inside whose end is not the leader's: e1 read, then
// e2, e3 at 2, 3, another subject's message at 4 and e4..e6 at 5..7, the
// leader answering another payload at 7. The jump (from 4) is asked and
// taken, the end (7) asked and refused: nothing of the batch is returned,
// and its jump is not counted. Once the leader agrees, the re-created
// consumer reads e2..e6 in order, and the jump counts once.
TEST_F(StreamLogTest, AJumpMidBatchDoesNotSpareTheBatchEndCheck) {
  auto c = Connect();
  const std::string other = "other." + TestName();
  ASSERT_NO_FATAL_FAILURE(AddStreamWith(c.get(), other));
  auto log = OpenLog(c.get());
  PublishRange(log.get(), 1, 1);
  ScriptedLeader leader(c.get(), Options());
  auto consumer = OpenConsumer(c.get(), 100, nullptr, leader.LookUp());
  ASSERT_TRUE(consumer->Seek(1).ok());
  ASSERT_EQ(SeqsOf(FetchAll(consumer.get(), 1)), (std::vector<std::uint64_t>{1}));
  EXPECT_TRUE(consumer->Ack(1).ok());
  ASSERT_NO_FATAL_FAILURE(PublishLayout(c.get(), log.get(), other, "eexeee", 2, 2));
  leader.Play([](std::uint64_t from, std::size_t) -> std::optional<ScriptedLeader::Answer> {
    if (from != 7) return std::nullopt;
    return std::optional<LeaderMessage>(LeaderMessage{7, "x7", "other"});
  });
  ASSERT_NO_FATAL_FAILURE(FetchUntilRefused(consumer.get()));
  EXPECT_EQ(leader.asked(), (std::vector<std::uint64_t>{4, 7}));
  const ConsumerStats& stats = consumer->stats();
  EXPECT_EQ(consumer->position(), 1u);
  EXPECT_EQ(stats.reads_refused, 1u);
  EXPECT_EQ(stats.refused_from, 2u);
  EXPECT_EQ(stats.refused_at, 7u);
  EXPECT_EQ(stats.jumps_taken, 0u);
  EXPECT_EQ(stats.jump_mismatches, 0u);
  leader.Play(nullptr);
  const auto got = FetchAll(consumer.get(), 5);
  EXPECT_EQ(SeqsOf(got), (std::vector<std::uint64_t>{2, 3, 5, 6, 7}));
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got.back().payload, "p6");
  // The re-created consumer's start, the jump, the end.
  EXPECT_EQ(leader.asked(), (std::vector<std::uint64_t>{2, 4, 7}));
  EXPECT_EQ(stats.jumps_taken, 1u);
  EXPECT_EQ(stats.reads_refused, 1u);
  EXPECT_EQ(stats.seeks, 2u);  // 1, 2
}

// A stop request while a batch with many jumps is checked (e1, x, e2, x,
// e3, x, e4 at 1..7; the stop comes during the look-up of the first jump,
// which the leader confirms): the next jump is not asked, but a gap. What
// was checked (e1, e2) is returned, no refusal, and nothing is re-created
// while the stop lasts; once withdrawn, e3 and e4 are read.
TEST_F(StreamLogTest, AStopBetweenJumpsAsksNoMore) {
  auto c = Connect();
  const std::string other = "other." + TestName();
  ASSERT_NO_FATAL_FAILURE(AddStreamWith(c.get(), other));
  auto log = OpenLog(c.get());
  ASSERT_NO_FATAL_FAILURE(PublishLayout(c.get(), log.get(), other, "exexexe"));
  std::atomic<bool> stop{false};
  ScriptedLeader leader(c.get(), Options());
  leader.Play([&stop](std::uint64_t, std::size_t call) -> std::optional<ScriptedLeader::Answer> {
    if (call == 1) stop = true;  // the first jump's look-up, answered
    if (call <= 1) return std::nullopt;
    return Status::Aborted("stopping");  // what the request answers then
  });
  auto consumer = OpenConsumer(c.get(), 100, &stop, leader.LookUp());
  ASSERT_TRUE(consumer->Seek(1).ok());
  auto got = consumer->Fetch(std::chrono::milliseconds(2000));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(SeqsOf(*got), (std::vector<std::uint64_t>{1, 3}));
  EXPECT_EQ(leader.asked(), (std::vector<std::uint64_t>{1, 2}));
  const ConsumerStats& stats = consumer->stats();
  EXPECT_EQ(stats.reads_refused, 0u);
  EXPECT_EQ(stats.jumps_taken, 1u);
  got = consumer->Fetch(std::chrono::milliseconds(200));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->empty());
  EXPECT_EQ(stats.seeks, 1u);
  stop = false;
  leader.Play(nullptr);
  EXPECT_EQ(SeqsOf(FetchAll(consumer.get(), 2)), (std::vector<std::uint64_t>{5, 7}));
  EXPECT_EQ(leader.asked(), (std::vector<std::uint64_t>{4, 6}));
  EXPECT_EQ(stats.seeks, 2u);  // 1, 4
  EXPECT_EQ(stats.jumps_taken, 2u);
  EXPECT_EQ(stats.reads_refused, 0u);
}

// A slow leader (200 ms a look-up) and a batch with 10 jumps (e1, then x
// and e<n> for e2..e11), the connection's timeout 1 s: once a fetch has
// spent the timeout asking about jumps, the next jump is taken for a gap
// (the consumer re-created there, its start checked), so a fetch blocks
// for about the timeout, not for 10 look-ups (or, in a batch of thousands,
// past the ack wait). Every jump is either taken or a re-created
// consumer's start; all are read in order, no refusal.
TEST_F(StreamLogTest, JumpChecksStopOnceAFetchSpentTheTimeoutOnThem) {
  auto c = Connect("test", std::chrono::milliseconds(1000));
  const std::string other = "other." + TestName();
  ASSERT_NO_FATAL_FAILURE(AddStreamWith(c.get(), other));
  auto log = OpenLog(c.get());
  ASSERT_NO_FATAL_FAILURE(PublishLayout(c.get(), log.get(), other, "exexexexexexexexexexe"));
  ScriptedLeader leader(c.get(), Options());
  leader.Play([](std::uint64_t, std::size_t) -> std::optional<ScriptedLeader::Answer> {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return std::nullopt;
  });
  auto consumer = OpenConsumer(c.get(), 100, nullptr, leader.LookUp());
  ASSERT_TRUE(consumer->Seek(1).ok());
  const auto got = FetchAll(consumer.get(), 11, std::chrono::seconds(30));
  std::vector<std::uint64_t> seqs;
  for (std::uint64_t s = 1; s <= 21; s += 2) seqs.push_back(s);
  EXPECT_EQ(SeqsOf(got), seqs);
  const ConsumerStats& stats = consumer->stats();
  EXPECT_GE(stats.seeks, 2u);
  EXPECT_EQ(stats.jumps_taken + (stats.seeks - 1), 10u);
  EXPECT_EQ(stats.jump_mismatches, 0u);
  EXPECT_EQ(stats.reads_refused, 0u);
}

// Counts the message-get API requests for one stream that pass the server
// (a subscription of its own on the API subject).
class ApiRequestCounter {
 public:
  ApiRequestCounter(NatsConnection* c, const std::string& stream) {
    const std::string subject = "$JS.API.STREAM.MSG.GET." + stream;
    EXPECT_EQ(natsConnection_SubscribeSync(&sub_, c->get(), subject.c_str()), NATS_OK);
    EXPECT_EQ(natsConnection_Flush(c->get()), NATS_OK);
    connection_ = c->get();
  }
  ~ApiRequestCounter() { natsSubscription_Destroy(sub_); }
  int Count() {
    EXPECT_EQ(natsConnection_Flush(connection_), NATS_OK);
    int pending = 0;
    EXPECT_EQ(natsSubscription_GetPending(sub_, &pending, nullptr), NATS_OK);
    return pending;
  }

 private:
  natsConnection* connection_ = nullptr;
  natsSubscription* sub_ = nullptr;
};

// 3000 messages on another subject of the stream lie between e1 and e2: a
// start from 2 that delivers e2 (seq 3002) first is checked with one
// request to the stream's leader, not one per sequence passed over (3000
// before), and taken (batches' last messages are checked as well, one
// request each). FirstToDeliverFrom answers the first message on the
// reader's subject, "none" past the end, and an error (not "none") for a
// stream that does not exist.
TEST_F(StreamLogTest, AStartFarPastIsCheckedWithOneRequest) {
  auto c = Connect();
  const std::string stream = Options().stream;
  const std::string subject = Options().subject;
  const std::string other = "other." + TestName();
  ASSERT_NO_FATAL_FAILURE(AddStreamWith(c.get(), other));
  auto log = OpenLog(c.get());
  PublishRange(log.get(), 1, 1);
  for (int i = 0; i < 3000; ++i) {
    ASSERT_EQ(natsConnection_PublishString(c->get(), other.c_str(), "x"), NATS_OK);
  }
  auto consumer = OpenConsumer(c.get());
  ASSERT_TRUE(riskd::testing::WaitFor(
      [&] {
        const auto last = consumer->StreamLastSeq();
        return last.ok() && *last == 3001;
      },
      std::chrono::seconds(10)));
  ASSERT_TRUE(consumer->Seek(1).ok());
  auto got = FetchAll(consumer.get(), 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(consumer->Ack(1).ok());
  // (Published after e1 is read: one fetch would read on to e2..e4 past
  // the jump, checked in its course.)
  PublishRange(log.get(), 2, 4);

  auto watcher = Connect("watcher");
  ApiRequestCounter requests(watcher.get(), stream);
  ASSERT_TRUE(consumer->Seek(2).ok());
  std::vector<std::uint64_t> seqs;
  int batches = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (seqs.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    auto batch = consumer->Fetch(std::chrono::milliseconds(200));
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    if (!batch->empty()) ++batches;
    for (const auto& m : *batch) seqs.push_back(m.seq);
  }
  EXPECT_EQ(seqs, (std::vector<std::uint64_t>{3002, 3003, 3004}));
  // The start, and each batch's last message (the start's own batch's
  // only if it holds more than the start): 2 when one fetch delivers all
  // three, at most one per batch more however the server splits them.
  EXPECT_GE(requests.Count(), 2);
  EXPECT_LE(requests.Count(), 1 + batches);
  EXPECT_EQ(consumer->stats().reads_refused, 0u);

  EXPECT_EQ(consumer->FirstToDeliverFrom(1).value(), std::optional<std::uint64_t>(1));
  EXPECT_EQ(consumer->FirstToDeliverFrom(2).value(), std::optional<std::uint64_t>(3002));
  ASSERT_EQ(js_DeleteMsg(c->js(), stream.c_str(), 3002, nullptr, nullptr), NATS_OK);
  EXPECT_EQ(consumer->FirstToDeliverFrom(2).value(), std::optional<std::uint64_t>(3003));
  EXPECT_EQ(consumer->FirstToDeliverFrom(3005).value(), std::nullopt);
  ConsumerOptions o;
  o.stream = "NoSuchStream";
  o.subject = subject;
  o.durable = "reader";
  auto lost = StreamConsumer::Open(c.get(), o);
  ASSERT_TRUE(lost.ok());
  const auto none = (*lost)->FirstToDeliverFrom(1);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), Status::Code::kNotFound) << none.status().ToString();
}

// A stop request during the look-up of a start past the sequence sought
// (seq 51 sought, 88 delivered first): the fetch returns nothing, counts no
// refusal (the leader was not asked to the end), and leaves the consumer
// to be re-created by the next fetch, not during the stop.
TEST_F(StreamLogTest, AStopDuringTheLookUpIsNoRefusal) {
  auto c = Connect();
  auto log = OpenLog(c.get());
  PublishRange(log.get(), 1, 100);
  std::atomic<bool> stop{false};
  auto consumer = OpenConsumer(c.get(), 100, &stop);
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(consumer->Seek(51).ok());
  ASSERT_NO_FATAL_FAILURE(ReplaceConsumer(c.get(), 88));
  stop = true;  // the look-up sees it before any answer
  auto got = consumer->Fetch(std::chrono::milliseconds(2000));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->empty());
  EXPECT_EQ(consumer->stats().reads_refused, 0u);
  EXPECT_EQ(consumer->stats().seeks, 1u);
  EXPECT_EQ(consumer->position(), 50u);
  // The look-up did run and the consumer was dropped: the next fetches
  // re-create it from 51 and read on without a refusal (had 88 not arrived
  // before the stop, they would meet it and refuse it once).
  stop = false;
  ExpectToRead51To100(consumer.get());
  EXPECT_EQ(consumer->stats().reads_refused, 0u);
  EXPECT_EQ(consumer->stats().seeks, 2u);  // 51, 51 again
  EXPECT_EQ(consumer->stats().last_seek_from, 51u);
}

// A server that does not answer (here: frozen): the look-up is an error,
// `unavailable` after the connection's timeout, never "none"; and a stop
// request ends a look-up in progress (`aborted`) instead of waiting for it.
// Its own server: it freezes it.
class FrozenServerTest : public StreamLogTest {};

// The freeze lasts one look-up's timeout and then a stopped one's 300 ms.
// The connection's keep-alive pings are spaced well beyond that, so the
// client does not drop the connection and reconnect meanwhile (which made
// the look-ups' errors depend on timing, as did a 3 s timeout on a loaded
// machine for the look-up before the freeze).
TEST_F(FrozenServerTest, ALookUpTheServerDoesNotAnswerIsAnErrorAndStops) {
  auto c = Connect("test", std::chrono::seconds(5), std::chrono::seconds(60));
  auto log = OpenLog(c.get());
  PublishRange(log.get(), 1, 3);
  std::atomic<bool> stop{false};
  auto consumer = OpenConsumer(c.get(), 100, &stop);
  ASSERT_NE(consumer, nullptr);
  EXPECT_EQ(consumer->FirstToDeliverFrom(2).value(), std::optional<std::uint64_t>(2));
  server_->Freeze(0);
  const auto unanswered = consumer->FirstToDeliverFrom(2);
  ASSERT_FALSE(unanswered.ok());
  EXPECT_EQ(unanswered.status().code(), Status::Code::kUnavailable)
      << unanswered.status().ToString();
  Result<std::optional<std::uint64_t>> stopped = std::optional<std::uint64_t>();
  std::thread lookup([&] { stopped = consumer->FirstToDeliverFrom(2); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  lookup.join();
  server_->Thaw(0);
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.status().code(), Status::Code::kAborted) << stopped.status().ToString();
}

}  // namespace
}  // namespace riskd::connectors::nats
