#include "connectors/feeds/feed_sender.h"

#include <gtest/gtest.h>

#include <map>

#include "connectors/feeds/gdacs_rss_adapter.h"
#include "connectors/testing/fake_ingest.h"
#include "connectors/testing/test_util.h"

namespace riskd::connectors {
namespace {

std::vector<riskd::v1::Envelope> GdacsEnvelopes() {
  auto batch =
      connectors::GdacsRssAdapter().Parse(connectors::testing::ReadDataFile("gdacs/gdacs-rss.xml"));
  EXPECT_TRUE(batch.ok());
  return batch.ok() ? batch->envelopes : std::vector<riskd::v1::Envelope>{};
}

FeedSender::Options FastOptions(const std::string& endpoint) {
  FeedSender::Options options;
  options.endpoint = endpoint;
  // Short, so the lost-message test is quick; ThreadSanitizer slows the
  // fake daemon's answers well past 200 ms, which would count as losses.
#if defined(__SANITIZE_THREAD__)
  options.ack_timeout = std::chrono::milliseconds(3000);
#else
  options.ack_timeout = std::chrono::milliseconds(200);
#endif
  options.window = 4;
  return options;
}

TEST(FeedSenderTest, FirstReplayAcceptedSecondDuplicate) {
  FakeIngest ingest;
  const auto envelopes = GdacsEnvelopes();
  ASSERT_EQ(envelopes.size(), 16u);
  const FeedSender sender(FastOptions(ingest.endpoint()));
  std::vector<SendOutcome> outcomes;
  auto first = sender.Send(envelopes, [&](const SendOutcome& o) { outcomes.push_back(o); });
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->accepted, 16u);
  ASSERT_EQ(outcomes.size(), 16u);
  for (const auto& o : outcomes) {
    EXPECT_EQ(o.event_id, envelopes[o.index].event_id());
    EXPECT_EQ(o.attempts, 1);
  }
  auto second = sender.Send(envelopes, [](const SendOutcome&) {});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->duplicate, 16u);
  EXPECT_EQ(second->accepted, 0u);
}

TEST(FeedSenderTest, LostMessageIsRetriedUnderTheSameEventId) {
  const auto envelopes = GdacsEnvelopes();
  ASSERT_EQ(envelopes.size(), 16u);
  FakeIngest ingest({}, {envelopes[3].event_id()});
  std::map<std::string, SendOutcome> by_id;
  auto totals =
      FeedSender(FastOptions(ingest.endpoint())).Send(envelopes, [&](const SendOutcome& o) {
        by_id[o.event_id] = o;
      });
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->accepted, 16u);
  EXPECT_EQ(by_id[envelopes[3].event_id()].attempts, 2);
  EXPECT_EQ(by_id[envelopes[4].event_id()].attempts, 1);
  const auto received = ingest.received();
  EXPECT_EQ(std::count(received.begin(), received.end(), envelopes[3].event_id()), 2);
}

TEST(FeedSenderTest, RejectionsCarryTheDaemonsReason) {
  FakeIngest ingest({"vendor-orgenics-ltd"});
  std::vector<riskd::v1::Envelope> envs(2);
  envs[0].set_event_id("scms:1");
  envs[0].mutable_supplier_status()->set_node_id("vendor-orgenics-ltd");
  envs[1].set_event_id("scms:2");
  envs[1].mutable_supplier_status()->set_node_id("vendor-acme");
  std::map<std::string, SendOutcome> by_id;
  auto totals = FeedSender(FastOptions(ingest.endpoint())).Send(envs, [&](const SendOutcome& o) {
    by_id[o.event_id] = o;
  });
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->accepted, 1u);
  EXPECT_EQ(totals->rejected, 1u);
  EXPECT_EQ(by_id["scms:2"].result, SendOutcome::Result::kRejected);
  EXPECT_EQ(by_id["scms:2"].reason,
            "not_found: supplier_status.node_id: node 'vendor-acme' is not in the network");
}

TEST(FeedSenderTest, NoDaemonMeansUnansweredAfterTheAttempts) {
  FeedSender::Options options = FastOptions("tcp://127.0.0.1:1");
  options.ack_timeout = std::chrono::milliseconds(30);
  options.max_attempts = 2;
  std::vector<SendOutcome> outcomes;
  auto envelopes = GdacsEnvelopes();
  ASSERT_EQ(envelopes.size(), 16u);
  envelopes.resize(3);
  auto totals =
      FeedSender(options).Send(envelopes, [&](const SendOutcome& o) { outcomes.push_back(o); });
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->unanswered, 3u);
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(outcomes[0].attempts, 2);
  EXPECT_EQ(outcomes[0].reason, "no Ack after 2 sends");
  EXPECT_FALSE(
      FeedSender(FastOptions("not an endpoint")).Send(envelopes, [](const SendOutcome&) {}).ok());
}

}  // namespace
}  // namespace riskd::connectors
