#include "connectors/store/journal_cascades.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "riskd/v1/envelope.pb.h"

namespace riskd::connectors {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kT0 = 1709251200;  // 2024-03-01T00:00:00Z

class JournalCascadesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("riskd_cascades_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto j = Journal::Open((dir_ / "j.db").string());
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    journal_ = std::move(*j);
    types_.names = {"supply", "data"};
    types_.default_risk_type = "supply";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // a -> b -> c, a -> d, b -> e; g and h in region JP.
  static engine::Network Base() {
    engine::Network net;
    for (const char* id : {"a", "b", "c", "d", "e", "f", "g", "h"}) {
      engine::NodeAttributes attrs;
      attrs.id = id;
      if (attrs.id == "g" || attrs.id == "h") attrs.region = "JP";
      EXPECT_TRUE(net.AddNode(attrs).ok());
    }
    for (auto [from, to] : {std::pair{"a", "b"}, {"b", "c"}, {"a", "d"}, {"b", "e"}}) {
      EXPECT_TRUE(net.AddEdge(from, to, engine::Layer::kMaterial, 1.0).ok());
    }
    net.Compact();
    return net;
  }

  void Append(riskd::v1::Envelope env, std::optional<double> occurred_days,
              double received_days = 0) {
    env.set_event_id("e" + std::to_string(++count_));
    if (occurred_days) {
      const double s = static_cast<double>(kT0) + *occurred_days * kDay;
      env.mutable_occurred_at()->set_seconds(static_cast<std::int64_t>(s));
      env.mutable_occurred_at()->set_nanos(static_cast<int>((s - std::floor(s)) * 1e9));
    }
    JournalEntry entry{
        env.event_id(),
        static_cast<std::int64_t>((static_cast<double>(kT0) + received_days * kDay) * 1e9),
        env.SerializeAsString()};
    ASSERT_TRUE(journal_->Append({&entry, 1}).ok());
  }
  void Status(const std::string& node, riskd::v1::NodeState state, double days, double severity = 0,
              const std::string& risk_type = "") {
    riskd::v1::Envelope env;
    auto* s = env.mutable_supplier_status();
    s->set_node_id(node);
    s->set_state(state);
    s->set_severity(severity);
    s->set_risk_type(risk_type);
    Append(env, days);
  }

  fs::path dir_;
  std::unique_ptr<Journal> journal_;
  RiskTypeResolver types_;
  int count_ = 0;
};

TEST_F(JournalCascadesTest, DelimitsCascadesByQuietGapsAndPlacesEventsAtTheirTime) {
  using riskd::v1::NODE_STATE_DISRUPTED;
  using riskd::v1::NODE_STATE_RECOVERED;
  using riskd::v1::NODE_STATE_SUSCEPTIBLE;
  // Cascade 1: a quake hits a; b, c (partly) and e follow; d reports normal.
  riskd::v1::Envelope quake;
  quake.mutable_disruption()->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
  quake.mutable_disruption()->set_severity(1.0);
  quake.mutable_disruption()->add_node_ids("a");
  Append(quake, 0.0);
  Status("b", NODE_STATE_DISRUPTED, 1.5);
  Status("d", NODE_STATE_SUSCEPTIBLE, 2.0);
  Status("e", NODE_STATE_DISRUPTED, 2.5);
  Status("b", NODE_STATE_RECOVERED, 4.2);
  Status("b", NODE_STATE_DISRUPTED, 4.5);             // again after recovering: skipped
  Status("c", NODE_STATE_DISRUPTED, 1.0, 0, "data");  // another risk type
  Status("a", NODE_STATE_SUSCEPTIBLE, 5.0);
  Status("c", NODE_STATE_DISRUPTED, 3.0, 0.6);  // journaled late, placed at its time
  {
    riskd::v1::Envelope remove;
    remove.mutable_network_change()->set_remove_node("e");
    Append(remove, std::nullopt, 6.0);
  }
  // 25 days after the last event: no cascade open.
  Status("f", NODE_STATE_RECOVERED, 30.0);
  // Cascade 2: f disrupted with no known cause is its own source; its
  // recovery report has no occurred_at (received on day 41).
  Status("f", NODE_STATE_DISRUPTED, 40.0);
  {
    riskd::v1::Envelope env;
    env.mutable_supplier_status()->set_node_id("f");
    env.mutable_supplier_status()->set_state(NODE_STATE_SUSCEPTIBLE);
    Append(env, std::nullopt, 41.0);
  }
  // Cascade 3: a flood over region JP, with a node added by a network change.
  {
    riskd::v1::Envelope add;
    add.mutable_network_change()->mutable_add_node()->set_id("k");
    add.mutable_network_change()->mutable_add_node()->set_region("JP");
    Append(add, std::nullopt, 90.0);
    riskd::v1::Envelope flood;
    flood.mutable_disruption()->set_hazard(riskd::v1::HAZARD_FLOOD);
    flood.mutable_disruption()->set_severity(0.5);
    flood.mutable_disruption()->mutable_place()->set_region("jp");
    Append(flood, 100.0);
    Status("h", NODE_STATE_SUSCEPTIBLE, 100.0 + 0.25);
  }

  auto got = ExtractCascades(*journal_, Base(), types_, {});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->journal_rows, 16u);
  EXPECT_EQ(got->network_changes, 2u);
  EXPECT_EQ(got->events_of_risk_type, 13u);
  EXPECT_EQ(got->outside_cascades, 1u);
  EXPECT_EQ(got->repeated_disruptions, 1u);
  EXPECT_EQ(got->unknown_nodes, 1u);  // e was removed
  ASSERT_EQ(got->cascades.size(), 3u);
  const engine::Network& net = got->network;
  auto id = [&](engine::NodeIndex v) { return std::string(net.id(v)); };

  const engine::ObservedCascade& c1 = got->cascades[0];
  EXPECT_EQ(c1.end, 5);
  ASSERT_EQ(c1.sources.size(), 1u);
  EXPECT_EQ(id(c1.sources[0].node), "a");
  EXPECT_EQ(c1.sources[0].onset, 0);
  EXPECT_EQ(c1.sources[0].recovery, 5);
  ASSERT_EQ(c1.disrupted.size(), 2u);
  EXPECT_EQ(id(c1.disrupted[0].node), "b");
  EXPECT_EQ(c1.disrupted[0].onset, 2);     // 1.5 days: disrupted by the end of step 2
  EXPECT_EQ(c1.disrupted[0].recovery, 5);  // 4.2 days
  EXPECT_EQ(id(c1.disrupted[1].node), "c");
  EXPECT_EQ(c1.disrupted[1].onset, 3);
  EXPECT_EQ(c1.disrupted[1].recovery, -1);
  EXPECT_DOUBLE_EQ(c1.disrupted[1].severity, 0.6);
  ASSERT_EQ(c1.normal.size(), 1u);
  EXPECT_EQ(id(c1.normal[0].node), "d");
  EXPECT_EQ(c1.normal[0].step, 5);  // normal persists to the end
  EXPECT_EQ(got->origins[0].first_event_id, "e1");
  EXPECT_EQ(got->origins[0].events, 8u);
  EXPECT_EQ(got->origins[0].start_unix_ns, kT0 * 1'000'000'000);

  const engine::ObservedCascade& c2 = got->cascades[1];
  ASSERT_EQ(c2.sources.size(), 1u);
  EXPECT_EQ(id(c2.sources[0].node), "f");
  EXPECT_EQ(c2.sources[0].recovery, 1);
  EXPECT_EQ(c2.end, 1);
  EXPECT_TRUE(c2.disrupted.empty());

  const engine::ObservedCascade& c3 = got->cascades[2];
  ASSERT_EQ(c3.sources.size(), 3u);  // g, h and the added k
  for (const auto& s : c3.sources) {
    EXPECT_EQ(s.onset, 0);
    EXPECT_DOUBLE_EQ(s.severity, 0.5);
  }
  EXPECT_EQ(c3.sources[1].recovery, 1);  // h: normal again within the day
  EXPECT_EQ(c3.end, 1);

  // What the calibration accepts as it is.
  EXPECT_TRUE(engine::ValidateCascades(net, got->cascades, {}).ok());
}

TEST_F(JournalCascadesTest, CutsLongCascadesAndRejectsUnknownRiskTypes) {
  riskd::v1::Envelope quake;
  quake.mutable_disruption()->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
  quake.mutable_disruption()->set_severity(1.0);
  quake.mutable_disruption()->add_node_ids("a");
  Append(quake, 0.0);
  // Reports every 10 days keep it open past max_steps = 25.
  Status("b", riskd::v1::NODE_STATE_DISRUPTED, 10.0);
  Status("c", riskd::v1::NODE_STATE_DISRUPTED, 20.0);
  Status("d", riskd::v1::NODE_STATE_DISRUPTED, 30.0);  // opens the next, as its source
  CascadeExtractionOptions o;
  o.max_steps = 25;
  auto got = ExtractCascades(*journal_, Base(), types_, o);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->cascades.size(), 2u);
  EXPECT_EQ(got->cascades[0].disrupted.size(), 2u);
  EXPECT_EQ(got->cascades[0].end, 20);
  EXPECT_EQ(std::string(got->network.id(got->cascades[1].sources[0].node)), "d");

  o.risk_type = "credit";
  EXPECT_EQ(ExtractCascades(*journal_, Base(), types_, o).status().ToString(),
            "invalid_argument: risk type 'credit' is not configured");
}

}  // namespace
}  // namespace riskd::connectors
