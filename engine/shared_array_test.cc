#include "engine/shared_array.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace riskd::engine {
namespace {

TEST(SharedArrayTest, CopiesShareTheBufferAndCompareByValue) {
  std::vector<std::uint32_t> values{4, 8, 15, 16, 23, 42};
  values.reserve(10);
  const std::uint32_t* first = values.data();
  SharedArray<std::uint32_t> a(std::move(values));
  // Taken, not copied, growth slack included.
  EXPECT_EQ(a.data(), first);
  ASSERT_EQ(a.size(), 6u);
  EXPECT_EQ(a[5], 42u);
  EXPECT_EQ(a.span().back(), 42u);
  EXPECT_EQ(a.CapacityBytes(), 10 * sizeof(std::uint32_t));
  EXPECT_EQ(a.OwnBytes(), a.CapacityBytes());

  SharedArray<std::uint32_t> b = a;
  EXPECT_TRUE(b.SharesWith(a));
  EXPECT_EQ(b.data(), first);
  // Held twice: neither alone would free it.
  EXPECT_EQ(a.OwnBytes(), 0u);
  EXPECT_EQ(b.OwnBytes(), 0u);

  // Equal values in another buffer: equal, not shared.
  const SharedArray<std::uint32_t> c(std::vector<std::uint32_t>{4, 8, 15, 16, 23, 42});
  EXPECT_TRUE(c == a);
  EXPECT_FALSE(c.SharesWith(a));
  EXPECT_FALSE(SharedArray<std::uint32_t>(std::vector<std::uint32_t>{4, 8}) == a);

  // A fitted copy for b; a keeps the original buffer, alone again.
  b.ShrinkToFit();
  EXPECT_FALSE(b.SharesWith(a));
  EXPECT_TRUE(b == a);
  EXPECT_EQ(b.CapacityBytes(), 6 * sizeof(std::uint32_t));
  EXPECT_EQ(a.data(), first);
  EXPECT_EQ(a.OwnBytes(), 10 * sizeof(std::uint32_t));
  // Dropping the last owner frees it; a copy outlives the original.
  SharedArray<std::uint32_t> d = a;
  a = {};
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(a.OwnBytes(), 0u);
  EXPECT_EQ(d[0], 4u);
  EXPECT_EQ(d.OwnBytes(), 10 * sizeof(std::uint32_t));
  // Empty arrays are equal and share nothing.
  EXPECT_TRUE(SharedArray<std::uint32_t>() ==
              SharedArray<std::uint32_t>(std::vector<std::uint32_t>{}));
  EXPECT_FALSE(SharedArray<std::uint32_t>().SharesWith(SharedArray<std::uint32_t>()));
}

TEST(SharedArrayTest, AMovedFromArrayIsEmpty) {
  SharedArray<std::uint32_t> a(std::vector<std::uint32_t>{1, 2, 3});
  const std::uint32_t* first = a.data();
  SharedArray<std::uint32_t> b = std::move(a);
  EXPECT_EQ(b.data(), first);
  EXPECT_EQ(b.size(), 3u);
  // What a moved-from array reads as.
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(a.begin(), a.end());
  EXPECT_EQ(a.CapacityBytes(), 0u);
  EXPECT_TRUE(a == SharedArray<std::uint32_t>());
  SharedArray<std::uint32_t> c(std::vector<std::uint32_t>{7});
  c = std::move(b);
  EXPECT_EQ(c.data(), first);
  EXPECT_EQ(c.size(), 3u);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.size(), 0u);
  // Moved into itself (through a reference): unchanged.
  SharedArray<std::uint32_t>& same = c;
  c = std::move(same);
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(c[2], 3u);
}

}  // namespace
}  // namespace riskd::engine
