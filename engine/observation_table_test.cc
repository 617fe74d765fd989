#include "engine/observation_table.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace riskd::engine {
namespace {

void ExpectSame(const ObservationTable& table, const std::vector<Observation>& dense) {
  ASSERT_EQ(table.size(), dense.size());
  std::size_t others = 0;
  for (NodeIndex v = 0; v < dense.size(); ++v) {
    ASSERT_EQ(table[v].state, dense[v].state) << v;
    ASSERT_EQ(table[v].severity, dense[v].severity) << v;
    ASSERT_EQ(table[v].since, dense[v].since) << v;
    ASSERT_EQ(table[v].until, dense[v].until) << v;
    const Observation d{};
    others += dense[v].state != d.state || dense[v].severity != d.severity ||
              dense[v].since != d.since || dense[v].until != d.until;
  }
  // Only the observations that differ from the default are stored.
  EXPECT_EQ(table.stored_count(), others);
}

// Random sets, resets to the default, growth and shrinking read back as the
// dense vector the engine kept before.
TEST(ObservationTableTest, ReadsAsTheDenseVector) {
  std::mt19937 gen(7);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  ObservationTable table;
  std::vector<Observation> dense;
  for (int round = 0; round < 50; ++round) {
    const std::size_t n = 1 + static_cast<std::size_t>(uniform(gen) * 300);
    table.Resize(n);
    dense.resize(n);
    for (int k = 0; k < 200; ++k) {
      const NodeIndex v = static_cast<NodeIndex>(uniform(gen) * n);
      Observation o;
      const double kind = uniform(gen);
      if (kind < 0.3) {
        o = Observation{};
      } else if (kind < 0.6) {
        o = Observation{NodeState::kDisrupted, 0.25 + 0.5 * uniform(gen), 10 + k,
                        k % 2 ? kNoStep : 20 + k};
      } else if (kind < 0.8) {
        o = Observation{NodeState::kRecovered, 1.0, 5 + k};
      } else if (kind < 0.9) {
        o = Observation{NodeState::kImmunized};
      } else {
        o = Observation{NodeState::kSusceptible, 1.0, 3};  // not the default: since set
      }
      table.Set(v, o);
      dense[v] = o;
    }
    ExpectSame(table, dense);
  }
}

TEST(ObservationTableTest, InitialStateIsTheSameAsFromTheVector) {
  Network net;
  for (int i = 0; i < 6; ++i) {
    NodeAttributes a;
    a.id = "n" + std::to_string(i);
    ASSERT_TRUE(net.AddNode(a).ok());
  }
  ASSERT_TRUE(net.RemoveNode("n5").ok());
  std::vector<Observation> dense(6);
  dense[1] = {NodeState::kDisrupted, 0.3};
  dense[2] = {NodeState::kRecovered};
  dense[3] = {NodeState::kImmunized};
  ObservationTable table;
  table.Resize(6);
  for (NodeIndex v = 0; v < 6; ++v) table.Set(v, dense[v]);
  const InitialState a = InitialState::FromObservations(net, dense);
  const InitialState b = InitialState::FromObserved(net, table);
  EXPECT_EQ(a.p_s, b.p_s);
  EXPECT_EQ(a.p_i, b.p_i);
  EXPECT_EQ(a.p_r, b.p_r);
  EXPECT_EQ(b.p_i[1], 0.3);
  EXPECT_EQ(b.p_r[5], 1.0);  // removed slot
}

}  // namespace
}  // namespace riskd::engine
