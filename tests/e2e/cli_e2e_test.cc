// The command lines of riskd and riskctl, run as real processes: usage
// conventions, --check-config, the network source check at start.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "connectors/store/journal.h"
#include "connectors/zmq/curve_auth.h"
#include "tests/support/daemon_harness.h"

namespace riskd::testing {
namespace {

namespace fs = std::filesystem;
using riskd::v1::Ack;
using riskd::v1::Envelope;

const std::string kRiskd = RISKD_BINARY;

TEST(CliE2ETest, RiskdHelpVersionAndUsageErrors) {
  auto help = RunCommand(kRiskd + " --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--check-config"), std::string::npos) << help.out;
  auto version = RunCommand(kRiskd + " --version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, "riskd " RISKD_VERSION "\n");
  auto unknown = RunCommand(kRiskd + " --config x.conf --frobnicate");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.out.find("--frobnicate"), std::string::npos) << unknown.out;
  EXPECT_EQ(RunCommand(kRiskd).exit_code, 2);  // --config is required
}

// A config in its own directory, with the demo network copied next to it.
class CheckConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("riskd_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const char* f : {"nodes.csv", "edges.csv"}) {
      fs::copy_file(SourceDir() + "/config/demo/" + f, dir_ / f);
    }
  }
  void TearDown() override { fs::remove_all(dir_); }
  CommandResult Check(const std::string& extra) {
    std::ofstream(dir_ / "riskd.conf")
        << "state_dir: \"state\"\nendpoints { ingest: \"ipc://" << (dir_ / "i").string()
        << "\" publish: \"ipc://" << (dir_ / "p").string() << "\" }\n"
        << "network { csv { nodes: \"nodes.csv\" edges: \"edges.csv\" } }\n"
        << extra;
    return RunCommand(kRiskd + " --config " + (dir_ / "riskd.conf").string() + " --check-config");
  }
  fs::path dir_;
};

TEST_F(CheckConfigTest, ReadsTheNetworkFeedsAndAddresses) {
  auto ok = Check("metrics { listen: \"127.0.0.1:0\" }\n");
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("config OK: network 19 nodes, 28 edges"), std::string::npos) << ok.out;

  fs::remove(dir_ / "edges.csv");
  auto no_edges = Check("");
  EXPECT_EQ(no_edges.exit_code, 1);
  EXPECT_NE(no_edges.out.find("edges.csv"), std::string::npos) << no_edges.out;
  fs::copy_file(SourceDir() + "/config/demo/edges.csv", dir_ / "edges.csv");

  auto port = Check("metrics { listen: \"127.0.0.1:99999\" }\n");
  EXPECT_EQ(port.exit_code, 1);
  EXPECT_NE(port.out.find("metrics.listen: '127.0.0.1:99999' is not host:port: the port must be a "
                          "number in 0..65535"),
            std::string::npos)
      << port.out;
  auto host = Check("metrics { listen: \"no-such-host.invalid:9100\" anonymous_read: true }\n");
  EXPECT_EQ(host.exit_code, 1);
  EXPECT_NE(host.out.find("does not resolve"), std::string::npos) << host.out;

  auto feed = Check("feeds { name: \"q\" adapter: \"usgs_geojson\" url: \"missing.geojson\" }\n");
  EXPECT_EQ(feed.exit_code, 1);
  EXPECT_NE(feed.out.find("feeds 'q': cannot open"), std::string::npos) << feed.out;
  std::ofstream(dir_ / "bad.geojson") << "{ not json";
  auto bad_feed = Check("feeds { name: \"q\" adapter: \"usgs_geojson\" url: \"bad.geojson\" }\n");
  EXPECT_EQ(bad_feed.exit_code, 1) << bad_feed.out;

  std::ofstream(dir_ / "riskd.conf")
      << "state_dir: \"state\"\nendpoints { ingest: \"ipc:///no/such/dir/i\" }\n"
      << "network { csv { nodes: \"nodes.csv\" edges: \"edges.csv\" } }\n";
  auto ipc = RunCommand(kRiskd + " --config " + (dir_ / "riskd.conf").string() + " --check-config");
  EXPECT_EQ(ipc.exit_code, 1);
  EXPECT_NE(ipc.out.find("directory '/no/such/dir' does not exist"), std::string::npos) << ipc.out;
}

TEST(CliE2ETest, AChangedNetworkSourceIsRefusedUntilReimported) {
  // Relative paths resolve against the harness's directory.
  DaemonHarness h("network { csv { nodes: \"nodes.csv\" edges: \"edges.csv\" } }\n");
  for (const char* f : {"nodes.csv", "edges.csv"}) {
    fs::copy_file(SourceDir() + "/config/demo/" + f, h.dir() / f);
  }
  ASSERT_TRUE(h.Start());
  EXPECT_EQ(h.Stop(), 0);
  ASSERT_TRUE(h.Start());  // unchanged: starts
  EXPECT_EQ(h.Stop(), 0);

  // A new supplier appears in the files.
  std::ofstream(h.dir() / "nodes.csv", std::ios::app)
      << "NEW-SUP,New supplier,supplier,3,JP,35.0,135.0,0,\n";
  std::ofstream(h.dir() / "edges.csv", std::ios::app) << "NEW-SUP,ECU-NGO,10,material\n";
  EXPECT_FALSE(h.Start());
  EXPECT_NE(h.log().find("the configured source changed since it was imported"), std::string::npos)
      << h.log();
  EXPECT_NE(h.log().find("--reimport-network"), std::string::npos);

  h.set_extra_args({"--reimport-network"});
  ASSERT_TRUE(h.Start());
  EXPECT_NE(h.log().find("re-imported base network: 20 nodes, 29 edges"), std::string::npos)
      << h.log();
  Envelope e;
  e.set_event_id("new-sup");
  e.mutable_disruption()->set_hazard(riskd::v1::HAZARD_FLOOD);
  e.mutable_disruption()->set_severity(1);
  e.mutable_disruption()->add_node_ids("NEW-SUP");
  EXPECT_EQ(h.Send(e)->result(), Ack::RESULT_ACCEPTED);
  EXPECT_EQ(h.Stop(), 0);
  h.set_extra_args({});
  ASSERT_TRUE(h.Start());  // the new digest is the stored one now
  EXPECT_EQ(h.Stop(), 0);
}

const std::string kRiskctl = RISKCTL_BINARY;

TEST(RiskctlTest, UsageConventions) {
  auto help = RunCommand(kRiskctl + " --help");
  EXPECT_EQ(help.exit_code, 0);
  for (const char* cmd :
       {"send", "tail", "query", "status", "verify-journal", "import", "keygen"}) {
    EXPECT_NE(help.out.find(cmd), std::string::npos) << cmd;
    EXPECT_EQ(RunCommand(kRiskctl + " " + cmd + " --help").exit_code, 0) << cmd;
  }
  EXPECT_EQ(RunCommand(kRiskctl + " --version").out, "riskctl " RISKD_VERSION "\n");
  EXPECT_EQ(RunCommand(kRiskctl).exit_code, 2);                  // no command
  EXPECT_EQ(RunCommand(kRiskctl + " frobnicate").exit_code, 2);  // unknown command
  auto flag = RunCommand(kRiskctl + " tail --colour");           // unknown flag
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_NE(flag.out.find("--colour"), std::string::npos) << flag.out;
  auto count = RunCommand(kRiskctl + " tail --count many");
  EXPECT_EQ(count.exit_code, 2);
  EXPECT_NE(count.out.find("'many' is not an integer >= 0"), std::string::npos) << count.out;
  EXPECT_EQ(RunCommand(kRiskctl + " tail --timeout -1").exit_code, 2);
  EXPECT_EQ(RunCommand(kRiskctl + " query plan 0").exit_code, 2);
  EXPECT_EQ(RunCommand(kRiskctl + " query plan five").exit_code, 2);
  EXPECT_EQ(RunCommand(kRiskctl + " query node").exit_code, 2);      // ids required
  EXPECT_EQ(RunCommand(kRiskctl + " verify-journal").exit_code, 2);  // --db required
}

TEST(RiskctlTest, SendQueryStatusTailAndVerifyAgainstARunningDaemon) {
  DaemonHarness h(DemoNetworkConfig());
  // Before the daemon ever ran: no database. verify-journal must not create one.
  auto missing = RunCommand(kRiskctl + " verify-journal --db " + h.database());
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.out.find("does not exist"), std::string::npos) << missing.out;
  EXPECT_FALSE(fs::exists(h.database()));

  ASSERT_TRUE(h.Start());
  auto empty = RunCommand(kRiskctl + " verify-journal --db " + h.database());
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.out.find("journal EMPTY"), std::string::npos) << empty.out;

  const std::string ep = " --endpoint " + h.ingest();
  auto tail_cmd =
      kRiskctl + " tail --endpoint " + h.publish() + " --topic alert. --count 1 --timeout 20";
  FILE* tail = ::popen((tail_cmd + " 2>&1").c_str(), "r");
  ASSERT_NE(tail, nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the SUB joins
  auto sent = RunCommand(kRiskctl + " send" + ep +
                         " '{\"event_id\":\"ctl-1\",\"disruption\":{\"hazard\":\"HAZARD_FLOOD\","
                         "\"severity\":1,\"node_ids\":[\"FAB-KUM\"]}}'");
  EXPECT_EQ(sent.exit_code, 0) << sent.out;
  EXPECT_NE(sent.out.find("ACCEPTED      ctl-1 seq 1"), std::string::npos) << sent.out;
  std::string tailed;
  char buf[1024];
  while (std::fgets(buf, sizeof buf, tail)) tailed += buf;
  EXPECT_EQ(::pclose(tail), 0);
  EXPECT_NE(tailed.find("ALERT"), std::string::npos) << tailed;

  auto bad = RunCommand(kRiskctl + " send" + ep +
                        " '{\"event_id\":\"ctl-2\",\"disruption\":{"
                        "\"severity\":1,\"node_ids\":[\"NOPE\"]}}'");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find("REJECTED      ctl-2"), std::string::npos) << bad.out;

  auto node = RunCommand(kRiskctl + " query" + ep + " node ECU-NGO");
  EXPECT_EQ(node.exit_code, 0) << node.out;
  EXPECT_NE(node.out.find("\"node_id\":\"ECU-NGO\""), std::string::npos) << node.out;
  auto plan = RunCommand(kRiskctl + " query" + ep + " --text plan 2");
  EXPECT_EQ(plan.exit_code, 0) << plan.out;
  EXPECT_NE(plan.out.find("Immunization plan (supply, k=2"), std::string::npos) << plan.out;

  auto status = RunCommand(kRiskctl + " status" + ep);
  EXPECT_EQ(status.exit_code, 0) << status.out;
  EXPECT_NE(status.out.find("journal: last seq 1, hash chain intact"), std::string::npos)
      << status.out;
  EXPECT_NE(status.out.find("1 accepted"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("1 rejected"), std::string::npos) << status.out;
  EXPECT_EQ(h.Stop(), 0);

  auto ok = RunCommand(kRiskctl + " verify-journal --db " + h.database());
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  auto journal = connectors::Journal::OpenReadOnly(h.database());
  ASSERT_TRUE(journal.ok());
  auto report = (*journal)->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(ok.out, "journal OK: 1 rows, hash chain intact; last seq 1 hash " +
                        connectors::HexBytes(report->last_hash) + "\n");
  // An emptied journal table is not "OK", nor a dropped one.
  ASSERT_EQ(std::system(("sqlite3 " + h.database() + " 'DELETE FROM journal'").c_str()), 0);
  EXPECT_EQ(RunCommand(kRiskctl + " verify-journal --db " + h.database()).exit_code, 1);
  ASSERT_EQ(std::system(("sqlite3 " + h.database() + " 'DROP TABLE journal'").c_str()), 0);
  auto dropped = RunCommand(kRiskctl + " verify-journal --db " + h.database());
  EXPECT_EQ(dropped.exit_code, 1);
  EXPECT_NE(dropped.out.find("has no journal table"), std::string::npos) << dropped.out;
}

TEST(RiskctlTest, ImportReplacesTheStoredNetworkAndKeygenWritesACert) {
  DaemonHarness h("network { csv { nodes: \"nodes.csv\" edges: \"edges.csv\" } }\n");
  for (const char* f : {"nodes.csv", "edges.csv"}) {
    fs::copy_file(SourceDir() + "/config/demo/" + f, h.dir() / f);
  }
  auto first = RunCommand(kRiskctl + " import --config " + h.config_path());
  EXPECT_EQ(first.exit_code, 0) << first.out;
  EXPECT_NE(first.out.find("imported 19 nodes, 28 edges"), std::string::npos) << first.out;
  std::ofstream(h.dir() / "nodes.csv", std::ios::app)
      << "NEW-SUP,New supplier,supplier,3,JP,35.0,135.0,0,\n";
  auto again = RunCommand(kRiskctl + " import --config " + h.config_path());
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("imported 20 nodes"), std::string::npos) << again.out;
  ASSERT_TRUE(h.Start());  // the stored digest matches the changed files
  EXPECT_EQ(h.Stop(), 0);
  EXPECT_EQ(RunCommand(kRiskctl + " import --config " + (h.dir() / "none.conf").string()).exit_code,
            1);

  auto keygen = RunCommand(kRiskctl + " keygen --out " + (h.dir() / "k.cert").string());
  EXPECT_EQ(keygen.exit_code, 0) << keygen.out;
  auto cert = connectors::LoadCurveCert((h.dir() / "k.cert").string());
  ASSERT_TRUE(cert.ok());
  EXPECT_EQ(keygen.out, cert->public_key + "\n");
  EXPECT_EQ(fs::status(h.dir() / "k.cert").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

}  // namespace
}  // namespace riskd::testing

namespace riskd::testing {
namespace {

TEST(CliE2ETest, AStartThatFailsAfterBindingExitsOneWithTheReason) {
  // The metrics port is taken by another listener: riskd fails late in
  // its start, after binding its sockets, and must still exit promptly.
  DaemonHarness first(DemoNetworkConfig() + "metrics { listen: \"127.0.0.1:0\" }\n");
  ASSERT_TRUE(first.Start());
  DaemonHarness second(DemoNetworkConfig() + "metrics { listen: \"127.0.0.1:" +
                       std::to_string(first.metrics_port()) + "\" }\n");
  EXPECT_FALSE(second.Start());
  EXPECT_LE(second.pid(), 0) << "riskd did not exit by itself";  // the harness reaped it
  EXPECT_NE(second.log().find("cannot serve metrics"), std::string::npos) << second.log();
  EXPECT_EQ(first.Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing
