#include "engine/value_at_risk.h"

#include <gtest/gtest.h>

namespace riskd::engine {
namespace {

TEST(ValueAtRiskTest, OwnValueElseTheLargerOfInAndOutVolume) {
  Network net;
  for (const char* id : {"raw", "mid", "oem", "own"}) {
    NodeAttributes a;
    a.id = id;
    if (a.id == "own") a.value = 1000;
    ASSERT_TRUE(net.AddNode(a).ok());
  }
  ASSERT_TRUE(net.AddEdge("raw", "mid", Layer::kMaterial, 4).ok());
  ASSERT_TRUE(net.AddEdge("raw", "mid", Layer::kFinancial, 1).ok());
  ASSERT_TRUE(net.AddEdge("mid", "oem", Layer::kMaterial, 7).ok());
  ASSERT_TRUE(net.AddEdge("own", "oem", Layer::kMaterial, 2).ok());
  net.Compact();
  auto v = NodeValues(net);
  EXPECT_DOUBLE_EQ(v[0], 5.0);     // out 4 + 1
  EXPECT_DOUBLE_EQ(v[1], 7.0);     // max(in 5, out 7)
  EXPECT_DOUBLE_EQ(v[2], 9.0);     // in 7 + 2
  EXPECT_DOUBLE_EQ(v[3], 1000.0);  // its own value
  // A removed node is worth nothing; its customer loses that volume.
  ASSERT_TRUE(net.RemoveNode("mid").ok());
  net.Compact();
  v = NodeValues(net);
  EXPECT_DOUBLE_EQ(v[1], 0.0);
  EXPECT_DOUBLE_EQ(v[2], 2.0);
  NodeAttributes bad;
  bad.id = "bad";
  bad.value = -1;
  EXPECT_FALSE(net.AddNode(bad).ok());
}

}  // namespace
}  // namespace riskd::engine
