#include "daemon/risk_delta_tracker.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "connectors/codec/output_codec.h"

namespace riskd::daemon {
namespace {

// A chain A -> B -> C -> D on the material layer.
std::unique_ptr<engine::Engine> Chain() {
  engine::Network net;
  for (const char* id : {"A", "B", "C", "D"}) {
    engine::NodeAttributes a;
    a.id = id;
    a.name = std::string("site ") + id;
    EXPECT_TRUE(net.AddNode(a).ok());
  }
  EXPECT_TRUE(net.AddEdge("A", "B", engine::Layer::kMaterial, 1.0).ok());
  EXPECT_TRUE(net.AddEdge("B", "C", engine::Layer::kMaterial, 1.0).ok());
  EXPECT_TRUE(net.AddEdge("C", "D", engine::Layer::kMaterial, 1.0).ok());
  auto e = engine::Engine::Create({}, std::move(net));
  EXPECT_TRUE(e.ok());
  return std::move(*e);
}

// Node id -> entry, over all chunks.
std::map<std::string, riskd::v1::NodeRisk> ById(
    const std::vector<riskd::v1::NodeRiskChanges>& chunks) {
  std::map<std::string, riskd::v1::NodeRisk> out;
  for (const auto& c : chunks) {
    for (const auto& n : c.nodes()) out[n.node_id()] = n;
  }
  return out;
}

TEST(RiskDeltaTrackerTest, PublishesExactlyWhatChangedAndAgreesWithTheEngine) {
  auto engine = Chain();
  RiskDeltaTracker tracker;
  engine->Project(0);
  EXPECT_TRUE(tracker.TakeChanges(*engine, 0, 0).empty());  // nothing at risk yet

  const engine::NodeIndex a = *engine->network().Find("A");
  ASSERT_TRUE(engine->Disrupt(0, {&a, 1}, 1.0).ok());
  engine->Project(1);
  auto changes = tracker.TakeChanges(*engine, 0, 1);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].risk_type(), "supply");
  EXPECT_EQ(changes[0].journal_seq(), 1u);
  auto by_id = ById(changes);
  ASSERT_EQ(by_id.size(), 4u);  // the source and its three downstream nodes
  for (const char* id : {"A", "B", "C", "D"}) {
    const auto expected = connectors::MakeNodeRisk(*engine, 0, *engine->network().Find(id));
    EXPECT_EQ(by_id[id].SerializeAsString(), expected.SerializeAsString()) << id;
  }
  EXPECT_EQ(by_id["A"].observed_state(), riskd::v1::NODE_STATE_DISRUPTED);
  EXPECT_GT(by_id["D"].probability(), 0);
  EXPECT_TRUE(tracker.TakeChanges(*engine, 0, 1).empty());  // taken once

  // Protecting C cuts D off: C and D change, A and B keep their values.
  const engine::NodeIndex c = *engine->network().Find("C");
  ASSERT_TRUE(engine->Immunize(0, {&c, 1}, false).ok());
  engine->Project(2);
  by_id = ById(tracker.TakeChanges(*engine, 0, 2));
  EXPECT_EQ(by_id.size(), 2u);
  EXPECT_EQ(by_id["C"].observed_state(), riskd::v1::NODE_STATE_IMMUNIZED);
  EXPECT_EQ(by_id["C"].probability(), 0);
  EXPECT_EQ(by_id["D"].probability(), 0);
  EXPECT_EQ(by_id["D"].observed_state(), riskd::v1::NODE_STATE_SUSCEPTIBLE);
}

TEST(RiskDeltaTrackerTest, RemovedNodesLeaveAndChunksAreBounded) {
  auto engine = Chain();
  RiskDeltaTracker tracker;
  const engine::NodeIndex a = *engine->network().Find("A");
  ASSERT_TRUE(engine->Disrupt(0, {&a, 1}, 1.0).ok());
  engine->Project(1);
  const auto chunks = tracker.TakeChanges(*engine, 0, 1, /*chunk=*/3);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].nodes_size(), 3);
  EXPECT_EQ(chunks[1].nodes_size(), 1);

  ASSERT_TRUE(engine->RemoveNode("B").ok());
  engine->Project(2);
  const auto by_id = ById(tracker.TakeChanges(*engine, 0, 2));
  ASSERT_TRUE(by_id.count("B"));
  EXPECT_EQ(by_id.at("B").observed_state(), riskd::v1::NODE_STATE_SUSCEPTIBLE);
  EXPECT_EQ(by_id.at("B").probability(), 0);
  EXPECT_EQ(by_id.at("B").eta_steps(), -1);
  EXPECT_EQ(by_id.at("C").probability(), 0);  // cut off from A
}

// Streamed, each chunk is handed over as soon as it is full, so the caller
// can publish it and free it before the next is built.
TEST(RiskDeltaTrackerTest, ChunksAreHandedOverOneAtATime) {
  auto engine = Chain();
  RiskDeltaTracker tracker;
  const engine::NodeIndex a = *engine->network().Find("A");
  ASSERT_TRUE(engine->Disrupt(0, {&a, 1}, 1.0).ok());
  engine->Project(1);
  std::vector<int> sizes;
  std::vector<std::string> ids;
  tracker.TakeChanges(*engine, 0, 7, /*chunk=*/3, [&](riskd::v1::NodeRiskChanges& c) {
    sizes.push_back(c.nodes_size());
    EXPECT_EQ(c.journal_seq(), 7u);
    EXPECT_FALSE(c.risk_type().empty());
    for (const auto& n : c.nodes()) ids.push_back(n.node_id());
  });
  EXPECT_EQ(sizes, (std::vector<int>{3, 1}));
  EXPECT_EQ(ids, (std::vector<std::string>{"A", "B", "C", "D"}));
  // Taken: nothing more to hand over.
  int calls = 0;
  tracker.TakeChanges(*engine, 0, 8, 3, [&](riskd::v1::NodeRiskChanges&) { ++calls; });
  EXPECT_EQ(calls, 0);
}

// A chunk the caller leaves in place (its messages given back after sending)
// is cleared and filled again: one NodeRisk reused for every node, a live
// one with a name then a removed one without, each chunk byte for byte what
// a fresh message holds.
TEST(RiskDeltaTrackerTest, ReusedMessagesCarryExactlyWhatFreshOnesDo) {
  auto engine = Chain();
  RiskDeltaTracker tracker;
  const engine::NodeIndex a = *engine->network().Find("A");
  ASSERT_TRUE(engine->Disrupt(0, {&a, 1}, 1.0).ok());
  engine->Project(1);
  auto fresh = [&](std::uint64_t seq, const riskd::v1::NodeRisk& node) {
    riskd::v1::NodeRiskChanges c;
    c.set_risk_type("supply");
    c.set_journal_seq(seq);
    *c.add_nodes() = node;
    return c.SerializeAsString();
  };
  std::vector<std::string> chunks;
  const riskd::v1::NodeRisk* first = nullptr;
  auto keep = [&](riskd::v1::NodeRiskChanges& c) {
    chunks.push_back(c.SerializeAsString());
    if (first == nullptr) first = &c.nodes(0);
    EXPECT_EQ(&c.nodes(0), first);  // the same message, filled again
  };
  tracker.TakeChanges(*engine, 0, 1, /*chunk=*/1, keep);
  ASSERT_EQ(chunks.size(), 4u);
  for (std::size_t k = 0; k < 4; ++k) {
    const auto v = static_cast<engine::NodeIndex>(k);
    EXPECT_EQ(chunks[k], fresh(1, connectors::MakeNodeRisk(*engine, 0, v))) << k;
  }

  // A recovered and B removed: A's message (a name, a probability) is
  // cleared and filled again with B, which leaves (no name, 0); C and D are
  // cut off.
  ASSERT_TRUE(engine->SetStatus(0, a, engine::NodeState::kRecovered, 1.0).ok());
  ASSERT_TRUE(engine->RemoveNode("B").ok());
  engine->Project(2);
  chunks.clear();
  first = nullptr;
  tracker.TakeChanges(*engine, 0, 2, /*chunk=*/1, keep);
  ASSERT_EQ(chunks.size(), 4u);
  riskd::v1::NodeRisk removed;
  removed.set_node_id("B");
  removed.set_risk_type("supply");
  removed.set_observed_state(riskd::v1::NODE_STATE_SUSCEPTIBLE);
  removed.set_eta_steps(-1);
  EXPECT_EQ(chunks[0], fresh(2, connectors::MakeNodeRisk(*engine, 0, a)));
  EXPECT_EQ(chunks[1], fresh(2, removed));
  EXPECT_EQ(chunks[2], fresh(2, connectors::MakeNodeRisk(*engine, 0, 2)));
  EXPECT_EQ(chunks[3], fresh(2, connectors::MakeNodeRisk(*engine, 0, 3)));
}

}  // namespace
}  // namespace riskd::daemon
