// Feeds end to end: the real daemon on a real network (SupplyGraph with the
// demo locations) taking a real disaster feed (GDACS), through the daemon's
// own poller and through the riskd-feed connector process.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "connectors/feeds/feed_factory.h"
#include "connectors/store/journal.h"
#include "tests/support/daemon_harness.h"

namespace riskd::testing {
namespace {

using riskd::v1::Ack;
using riskd::v1::Envelope;

const char kGdacsArchive[] = "/data/gdacs/gdacs_rss_archive_orange_2012-2016.xml";

// The archive is history for today's wall clock (docs/model.md section 3,
// "Time"): the daemon's model clock is set to 2015-07-30T12:00Z, just after
// storm TWO-15 made landfall, so the archive plays up to that day and the
// entries after it are rejected as ahead of the clock.
constexpr std::int64_t kClockStart = 1438257600;
constexpr std::int64_t kMaxSkew = 300;

std::string SupplyGraphConfig() {
  const std::string src = SourceDir();
  return "network { supplygraph { directory: \"" + src +
         "/data/supplygraph\" }\n"
         "  locations_csv: \"" +
         src +
         "/config/demo/supplygraph_locations.csv\" }\n"
         "risk_types { name: \"supply\" alpha: 0.8 beta: 0.3 direction: DIRECTION_DOWNSTREAM }\n"
         "clock { mode: MODE_MANUAL start { seconds: " +
         std::to_string(kClockStart) + " } }\n";
}

riskd::v1::Snapshot Snapshot(DaemonHarness& h) {
  bool accepted = false;
  riskd::v1::Snapshot s = QuerySnapshot(h, &accepted);
  EXPECT_TRUE(accepted);
  return s;
}

std::set<std::string> ObservedDisrupted(const riskd::v1::Snapshot& s) {
  std::set<std::string> out;
  for (const auto& r : s.node_risks()) {
    if (r.observed_state() == riskd::v1::NODE_STATE_DISRUPTED) out.insert(r.node_id());
  }
  return out;
}

// What the adapter makes of the feed, computed here independently: the
// envelopes the daemon accepts (not ahead of its clock).
std::size_t GdacsEnvelopes() {
  std::ifstream in(SourceDir() + kGdacsArchive, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  auto adapter = connectors::MakeFeedAdapter("gdacs_rss");
  auto batch = (*adapter)->Parse(text.str());
  EXPECT_TRUE(batch.ok());
  EXPECT_FALSE(batch->rejected.empty());  // the archive holds a malformed item
  std::size_t accepted = 0;
  for (const auto& e : batch->envelopes)
    accepted += e.occurred_at().seconds() <= kClockStart + kMaxSkew;
  EXPECT_LT(accepted, batch->envelopes.size());  // some are later
  EXPECT_GT(accepted, 10u);
  return accepted;
}

std::uint64_t JournalRows(const std::string& db) {
  auto journal = connectors::Journal::Open(db);
  return journal.ok() ? (*journal)->last_seq() : 0;
}

TEST(FeedsE2ETest, DaemonPollsAGdacsFeedAndWarnsDownstreamOfTheSitesHit) {
  DaemonHarness h(SupplyGraphConfig() + "feeds { name: \"gdacs\" adapter: \"gdacs_rss\" url: \"" +
                  SourceDir() + kGdacsArchive + "\" }\n");
  ASSERT_TRUE(h.Start());
  // The poller reads the feed once at start-up; wait until it is journaled.
  riskd::v1::Snapshot snap;
  for (int i = 0; i < 100 && ObservedDisrupted(snap).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    snap = Snapshot(h);
  }
  const auto hit = ObservedDisrupted(snap);
  // Storm TWO-15 (TC1000189) hits the Chittagong site directly.
  EXPECT_TRUE(hit.count("plant-1911")) << h.log();
  EXPECT_TRUE(hit.count("storage-1130"));
  // Products made at the sites hit are warned (downstream); the sites hit
  // are alerted on their own evidence (a report is evidence, not an
  // override: docs/model.md section 3).
  bool warned_product = false, alerted_site = false;
  for (const auto& a : snap.open_alerts()) {
    warned_product |= a.node_id().rfind("plant-", 0) != 0 && a.node_id().rfind("storage-", 0) != 0;
    alerted_site |= hit.count(a.node_id()) > 0;
  }
  EXPECT_TRUE(warned_product);
  EXPECT_TRUE(alerted_site);
  // Every well-formed entry up to the clock is journaled (most are far from
  // any site), the malformed one and the later ones are logged with their
  // reasons.
  const std::size_t expected = GdacsEnvelopes();
  EXPECT_EQ(snap.journal_seq(), expected);
  EXPECT_EQ(h.Stop(), 0);
  EXPECT_EQ(JournalRows(h.database()), expected);
  EXPECT_NE(h.log().find(std::to_string(expected) + " accepted"), std::string::npos) << h.log();
  EXPECT_NE(h.log().find("rejected: "), std::string::npos);
}

int RunRiskdFeed(const std::string& endpoint, std::string* out) {
  const std::string cmd = std::string(RISKD_FEED_BINARY) + " --adapter gdacs_rss --file " +
                          SourceDir() + kGdacsArchive + " --endpoint " + endpoint + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) *out += buf;
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(FeedsE2ETest, RiskdFeedProcessDeliversOnceThenDuplicates) {
  DaemonHarness h(SupplyGraphConfig());
  ASSERT_TRUE(h.Start());
  std::string first, second;
  EXPECT_EQ(RunRiskdFeed(h.ingest(), &first), 0) << first;
  const std::string n = std::to_string(GdacsEnvelopes());
  EXPECT_NE(first.find("accepted=" + n + " duplicate=0"), std::string::npos) << first;
  EXPECT_EQ(RunRiskdFeed(h.ingest(), &second), 0) << second;
  EXPECT_NE(second.find("accepted=0 duplicate=" + n), std::string::npos) << second;
  const auto hit = ObservedDisrupted(Snapshot(h));
  EXPECT_TRUE(hit.count("plant-1911"));
  EXPECT_EQ(h.Stop(), 0);
  EXPECT_EQ(JournalRows(h.database()), GdacsEnvelopes());
}

}  // namespace
}  // namespace riskd::testing
