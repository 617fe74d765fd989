#include "connectors/feeds/seen_feed_ids.h"

#include <gtest/gtest.h>

namespace riskd::connectors {
namespace {

TEST(SeenFeedIdsTest, RemembersUpToCapacityOldestForgottenFirst) {
  SeenFeedIds seen(2);
  EXPECT_TRUE(seen.Insert("a"));
  EXPECT_FALSE(seen.Insert("a"));
  EXPECT_TRUE(seen.Insert("b"));
  EXPECT_TRUE(seen.Insert("c"));  // forgets "a"
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_FALSE(seen.Contains("a"));
  EXPECT_TRUE(seen.Contains("b"));
  std::vector<riskd::v1::Envelope> envs(3);
  envs[0].set_event_id("a");
  envs[1].set_event_id("b");
  envs[2].set_event_id("d");
  auto unseen = seen.Unseen(envs);
  ASSERT_EQ(unseen.size(), 2u);
  EXPECT_EQ(unseen[0].event_id(), "a");
  EXPECT_EQ(unseen[1].event_id(), "d");
}

}  // namespace
}  // namespace riskd::connectors
