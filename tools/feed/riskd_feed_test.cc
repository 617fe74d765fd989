// End-to-end: the riskd-feed binary against a FakeIngest ROUTER, on the real
// feeds. RISKD_FEED_BINARY is the path CMake built it at.
#include <unistd.h>

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "connectors/testing/fake_ingest.h"
#include "connectors/testing/test_util.h"

namespace riskd::connectors {
namespace {

using connectors::testing::DataPath;

struct RunResult {
  int exit_code = -1;
  std::string out;
};

RunResult RunFeed(const std::string& args) {
  const std::string command = std::string(RISKD_FEED_BINARY) + " " + args + " 2>&1";
  RunResult r;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return r;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string LastLine(const std::string& out) {
  const auto end = out.find_last_not_of('\n');
  const auto start = out.rfind('\n', end);
  return out.substr(start == std::string::npos ? 0 : start + 1,
                    end - (start == std::string::npos ? 0 : start + 1) + 1);
}

TEST(RiskdFeedTest, ReplayOfTheUsgsFeedIsAcceptedThenDuplicate) {
  FakeIngest ingest;
  const std::string args = "--adapter usgs_geojson --endpoint " + ingest.endpoint() + " --file " +
                           DataPath("usgs_quakes/usgs_4.5_month_2014-04-01.geojson");
  auto first = RunFeed(args);
  EXPECT_EQ(first.exit_code, 0) << first.out;
  EXPECT_EQ(LastLine(first.out),
            "totals: entries=465 sent=465 accepted=465 duplicate=0 rejected=0 unanswered=0 "
            "invalid=0 skipped=0 filtered=0");
  EXPECT_NE(first.out.find("accepted usgs:usc000ny83\n"), std::string::npos);
  auto second = RunFeed(args);
  EXPECT_EQ(second.exit_code, 0);
  EXPECT_EQ(LastLine(second.out),
            "totals: entries=465 sent=465 accepted=0 duplicate=465 rejected=0 unanswered=0 "
            "invalid=0 skipped=0 filtered=0");
}

TEST(RiskdFeedTest, ScmsHistoryWithAVendorMapAndDaemonRejections) {
  FakeIngest ingest({"RDC"});
  // Per process: the same test may run at once in other build trees.
  const auto map = std::filesystem::temp_directory_path() /
                   ("riskd_feed_vendor_map_" + std::to_string(::getpid()) + ".csv");
  std::ofstream(map) << "vendor,node_id\nSCMS from RDC,RDC\n";
  auto run = RunFeed("--adapter scms_csv --vendor-map " + map.string() + " --endpoint " +
                     ingest.endpoint() + " --file " +
                     DataPath("scms_shipments/SCMS_Delivery_History_Dataset_20150929.csv"));
  std::filesystem::remove(map);
  EXPECT_EQ(run.exit_code, 0) << run.out;
  // 1,186 late lines, 927 of them shipped from the SCMS regional
  // distribution centres (mapped to node RDC); the daemon rejects the other
  // vendors' statuses, whose nodes it does not know.
  EXPECT_NE(run.out.find("accepted scms:82595\n"), std::string::npos);
  EXPECT_NE(run.out.find("rejected scms:130: not_found: supplier_status.node_id: node "
                         "'vendor-orgenics-ltd' is not in the network\n"),
            std::string::npos);
  EXPECT_EQ(LastLine(run.out),
            "totals: entries=10324 sent=1186 accepted=927 duplicate=0 rejected=259 unanswered=0 "
            "invalid=0 skipped=0 filtered=0");
}

TEST(RiskdFeedTest, DryRunPrintsEnvelopesAsJsonAndIssues) {
  auto run = RunFeed("--adapter nws_cap_atom --dry-run --file " +
                     DataPath("nws_cap/nws_atom_feed_example.xml"));
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(LastLine(run.out),
            "totals: entries=163 envelopes=99 invalid=0 skipped=64 filtered=0 (dry run)");
  EXPECT_NE(run.out.find("{\"eventId\":\"nws:AL125AB652A29C.SpecialWeatherStatement."),
            std::string::npos);
  EXPECT_NE(run.out.find("\"polygon\":{\"vertices\":[{\"lat\":31.62,\"lon\":-86.35}"),
            std::string::npos);
  EXPECT_NE(run.out.find("skipped entry 0 "), std::string::npos);
}

TEST(RiskdFeedTest, OnlyReplaysTheNamedEvents) {
  FakeIngest ingest;
  auto run = RunFeed("--adapter gdacs_rss --only TC1000189,gdacs:FL4178:1 --endpoint " +
                     ingest.endpoint() + " --file " +
                     DataPath("gdacs/gdacs_rss_archive_orange_2012-2016.xml"));
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(LastLine(run.out),
            "totals: entries=100 sent=2 accepted=2 duplicate=0 rejected=0 unanswered=0 "
            "invalid=1 skipped=0 filtered=97");
  EXPECT_EQ(ingest.received(), (std::vector<std::string>{"gdacs:TC1000189:6", "gdacs:FL4178:1"}));
}

TEST(RiskdFeedTest, UsageErrorsAndUnreachableDaemon) {
  auto bad = RunFeed("--adapter tea_leaves --file /dev/null");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find("unknown feed adapter 'tea_leaves'"), std::string::npos);
  EXPECT_EQ(RunFeed("--adapter gdacs_rss").exit_code, 1);
  // Unknown flags and bad numbers are usage errors, never positional input.
  auto unknown = RunFeed("--adapter gdacs_rss --file /dev/null --colour");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.out.find("--colour"), std::string::npos) << unknown.out;
  auto number = RunFeed("--adapter gdacs_rss --file /dev/null --window lots");
  EXPECT_EQ(number.exit_code, 1);
  EXPECT_NE(number.out.find("'lots' is not an integer >= 1"), std::string::npos) << number.out;
  EXPECT_EQ(RunFeed("--adapter gdacs_rss --file /dev/null --attempts 0").exit_code, 1);
  EXPECT_EQ(RunFeed("--adapter gdacs_rss --file a --url b").exit_code, 1);
  auto help = RunFeed("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--lookback-days"), std::string::npos);
  EXPECT_EQ(RunFeed("--version").out, "riskd-feed " RISKD_VERSION "\n");
  EXPECT_EQ(RunFeed("--adapter gdacs_rss --file /nonexistent.xml").exit_code, 1);
  auto lost = RunFeed(
      "--adapter gdacs_rss --endpoint tcp://127.0.0.1:1 --timeout-ms 20 "
      "--attempts 2 --file " +
      DataPath("gdacs/gdacs-rss.xml"));
  EXPECT_EQ(lost.exit_code, 2) << lost.out;
  EXPECT_NE(lost.out.find("unanswered=16"), std::string::npos);
}

// libcurl is a required dependency (CMakeLists.txt), so this always runs.
TEST(RiskdFeedTest, UrlThroughLibcurl) {
  auto run = RunFeed("--adapter gdacs_rss --dry-run --url file://" +
                     std::filesystem::absolute(DataPath("gdacs/gdacs-rss.xml")).string());
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(LastLine(run.out),
            "totals: entries=16 envelopes=16 invalid=0 skipped=0 filtered=0 (dry run)");
}

}  // namespace
}  // namespace riskd::connectors
