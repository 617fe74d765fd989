// The command lines of riskd and riskctl, run as real processes: usage
// conventions, --check-config, the network source check at start.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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
    dir_ = fs::temp_directory_path() / ("riskd_cli_" + std::to_string(::getpid()) + "_" +
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
  EXPECT_NE(port.out.find("metrics.listen '127.0.0.1:99999': port must be 0..65535"), std::string::npos)
      << port.out;
  auto host = Check("metrics { listen: \"no-such-host.invalid:9100\" }\n");
  EXPECT_EQ(host.exit_code, 1);
  EXPECT_NE(host.out.find("does not resolve"), std::string::npos) << host.out;

  auto feed = Check("feeds { name: \"q\" adapter: \"usgs_geojson\" url: \"missing.geojson\" }\n");
  EXPECT_EQ(feed.exit_code, 1);
  EXPECT_NE(feed.out.find("feeds 'q': cannot open"), std::string::npos) << feed.out;
  std::ofstream(dir_ / "bad.geojson") << "{ not json";
  auto bad_feed = Check("feeds { name: \"q\" adapter: \"usgs_geojson\" url: \"bad.geojson\" }\n");
  EXPECT_EQ(bad_feed.exit_code, 1) << bad_feed.out;

  std::ofstream(dir_ / "riskd.conf") << "state_dir: \"state\"\nendpoints { ingest: \"ipc:///no/such/dir/i\" }\n"
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
  std::ofstream(h.dir() / "nodes.csv", std::ios::app) << "NEW-SUP,New supplier,supplier,3,JP,35.0,135.0,0,\n";
  std::ofstream(h.dir() / "edges.csv", std::ios::app) << "NEW-SUP,ECU-NGO,10,material\n";
  EXPECT_FALSE(h.Start());
  EXPECT_NE(h.log().find("the configured source changed since it was imported"), std::string::npos)
      << h.log();
  EXPECT_NE(h.log().find("--reimport-network"), std::string::npos);

  h.set_extra_args({"--reimport-network"});
  ASSERT_TRUE(h.Start());
  EXPECT_NE(h.log().find("re-imported base network: 20 nodes, 29 edges"), std::string::npos) << h.log();
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

}  // namespace
}  // namespace riskd::testing
