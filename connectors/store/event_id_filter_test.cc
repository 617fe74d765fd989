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
  // 16 bits per id, 6 hashes in 512-bit blocks: ~0.15% (0.1% unblocked);
  // allow 0.3%.
  EXPECT_LT(false_positives, 300);
  EXPECT_FALSE(f.Saturated());
  f.Add("one-more");
  EXPECT_TRUE(f.Saturated());
}

TEST(EventIdFilterTest, LargerFiltersKeepTheirFalsePositiveRate) {
  // At 2^20 ids the filter has 2^15 blocks: the block index and the bits in
  // the block come from different mixes, so a larger filter is no worse.
  EventIdFilter f(1 << 20);
  for (int i = 0; i < (1 << 20); ++i) f.Add("p:" + std::to_string(i));
  for (int i = 0; i < (1 << 20); i += 97) ASSERT_TRUE(f.MayContain("p:" + std::to_string(i))) << i;
  int false_positives = 0;
  for (int i = 0; i < 200000; ++i) false_positives += f.MayContain("q:" + std::to_string(i));
  EXPECT_LT(false_positives, 600);
  EXPECT_FALSE(f.Saturated());
}

}  // namespace
}  // namespace riskd::connectors
