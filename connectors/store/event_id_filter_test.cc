#include "connectors/store/event_id_filter.h"

#include <gtest/gtest.h>

#include <string>

namespace riskd::connectors {
namespace {

TEST(EventIdFilterTest, NoFalseNegativesAndFewFalsePositives) {
  EventIdFilter f(100000);
  for (int i = 0; i < 100000; ++i) f.Add("producer-a:" + std::to_string(i));
  for (int i = 0; i < 100000; ++i)
    ASSERT_TRUE(f.MayContain("producer-a:" + std::to_string(i))) << i;
  int false_positives = 0;
  for (int i = 0; i < 100000; ++i)
    false_positives += f.MayContain("producer-b:" + std::to_string(i));
  // 16 bits per id, 6 hashes: theory ~0.1%; allow 0.3%.
  EXPECT_LT(false_positives, 300);
  EXPECT_FALSE(f.Saturated());
  f.Add("one-more");
  EXPECT_TRUE(f.Saturated());
}

}  // namespace
}  // namespace riskd::connectors
