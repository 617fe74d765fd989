#include "connectors/http/publication_fanout.h"

#include <gtest/gtest.h>

#include <thread>

namespace riskd::connectors {
namespace {

using Event = FanoutSubscriber::Event;
constexpr std::chrono::milliseconds kNow{0};

SharedFrame Frame(const std::string& text) { return std::make_shared<const std::string>(text); }

TEST(PublicationFanoutTest, EverySubscriberGetsEveryLaterFrameInOrder) {
  PublicationFanout fanout(1 << 20);
  fanout.Publish(Frame("before anyone"));
  auto a = fanout.Subscribe();
  auto b = fanout.Subscribe();
  EXPECT_TRUE(fanout.has_subscribers());
  fanout.Publish(Frame("one"));
  fanout.Publish(Frame("two"));
  for (auto& s : {a, b}) {
    SharedFrame f;
    ASSERT_EQ(s->Next(kNow, &f), Event::kFrame);
    EXPECT_EQ(*f, "one");
    ASSERT_EQ(s->Next(kNow, &f), Event::kFrame);
    EXPECT_EQ(*f, "two");
    EXPECT_EQ(s->Next(kNow, &f), Event::kTimeout);
  }
  fanout.Unsubscribe(a);
  EXPECT_EQ(fanout.subscriber_count(), 1u);
  EXPECT_EQ(fanout.stats().frames, 3u);
}

TEST(PublicationFanoutTest, ASlowSubscriberLosesItsBacklogOnceAndResyncsWithoutHoldingOthers) {
  PublicationFanout fanout(10);  // bytes
  auto slow = fanout.Subscribe();
  auto fast = fanout.Subscribe();
  SharedFrame f;
  for (const char* text : {"aaaa", "bbbb", "cccc", "dddd"}) {
    fanout.Publish(Frame(text));
    ASSERT_EQ(fast->Next(kNow, &f), Event::kFrame);
    EXPECT_EQ(*f, text);
  }
  // slow held aaaa+bbbb (8 bytes); cccc overflowed: dropped, then cccc and
  // dddd queued after the mark.
  EXPECT_EQ(fanout.stats().overflows, 1u);
  EXPECT_EQ(slow->Next(kNow, &f), Event::kOverflow);
  ASSERT_EQ(slow->Next(kNow, &f), Event::kFrame);
  EXPECT_EQ(*f, "cccc");
  ASSERT_EQ(slow->Next(kNow, &f), Event::kFrame);
  EXPECT_EQ(*f, "dddd");
  EXPECT_EQ(slow->Next(kNow, &f), Event::kTimeout);
}

TEST(PublicationFanoutTest, CloseWakesAWaitingSubscriberAndRefusesNewOnes) {
  PublicationFanout fanout(1 << 20);
  auto s = fanout.Subscribe();
  Event got = Event::kTimeout;
  std::thread waiter([&] {
    SharedFrame f;
    got = s->Next(std::chrono::seconds(30), &f);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  fanout.Close();
  waiter.join();
  EXPECT_EQ(got, Event::kClosed);
  EXPECT_EQ(fanout.Subscribe(), nullptr);
}

}  // namespace
}  // namespace riskd::connectors
