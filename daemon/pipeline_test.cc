#include "daemon/pipeline.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace riskd::daemon {
namespace {

struct Event {
  std::uint64_t seq;
  std::int64_t received_unix_ns;
  std::string payload;
};

// What an "E" message's events frame holds, read back.
std::vector<Event> Read(const std::vector<zmq::message_t>& message) {
  std::vector<Event> out;
  EXPECT_EQ(message.size(), 2u);
  if (message.size() != 2) return out;
  EXPECT_EQ(message[0].to_string(), std::string(1, kEventFrame));
  std::string_view events(message[1].data<char>(), message[1].size());
  ForwardedEvent e;
  while (EventBatch::Next(&events, &e)) {
    out.push_back({e.seq, e.received_unix_ns, std::string(e.payload)});
  }
  EXPECT_TRUE(events.empty()) << events.size() << " byte(s) left unread";
  return out;
}

TEST(EventBatchTest, EveryEventComesBackWithItsSeqTimeAndExactBytes) {
  const std::string big(100000, 'b');
  std::string binary("\0\x01\xff\x80 zero bytes inside", 21);
  EventBatch batch;
  EXPECT_TRUE(batch.empty());
  batch.Add(1, 1'700'000'000'123'456'789, "first");
  batch.Add(std::numeric_limits<std::uint64_t>::max(), -5, "");
  batch.Add(3, std::numeric_limits<std::int64_t>::min(), big);
  batch.Add(4, 0, binary);
  EXPECT_FALSE(batch.empty());
  const auto events = Read(batch.Message());
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].seq, 1u);
  EXPECT_EQ(events[0].received_unix_ns, 1'700'000'000'123'456'789);
  EXPECT_EQ(events[0].payload, "first");
  EXPECT_EQ(events[1].seq, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(events[1].received_unix_ns, -5);
  EXPECT_EQ(events[1].payload, "");
  EXPECT_EQ(events[2].seq, 3u);
  EXPECT_EQ(events[2].received_unix_ns, std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(events[2].payload, big);
  EXPECT_EQ(events[3].payload, binary);
}

// One EventBatch serves every batch: after Clear only the new events are
// sent, however many bytes the earlier batch held.
TEST(EventBatchTest, AClearedBatchCarriesNothingOfTheLargerOneBefore) {
  EventBatch batch;
  const std::string x(5000, 'x'), y(3000, 'y');  // viewed until Message()
  batch.Add(1, 10, x);
  batch.Add(2, 20, y);
  (void)batch.Message();
  batch.Clear();
  EXPECT_TRUE(batch.empty());
  batch.Add(3, 30, "small");
  const auto events = Read(batch.Message());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].seq, 3u);
  EXPECT_EQ(events[0].received_unix_ns, 30);
  EXPECT_EQ(events[0].payload, "small");
}

// The frame is made at its final size and written once: header and
// payload bytes only, nothing kept by the EventBatch (which views the
// payloads) beyond it.
TEST(EventBatchTest, TheFrameIsExactlyTheHeadersAndPayloads) {
  EventBatch batch;
  const std::string large(3 << 20, 'l');
  batch.Add(1, 0, large);
  batch.Add(2, 0, "after");
  EXPECT_EQ(batch.bytes(), 2 * EventBatch::kHeaderBytes + large.size() + 5);
  const auto message = batch.Message();
  EXPECT_EQ(message[1].size(), batch.bytes());
  const auto events = Read(message);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].payload, large);
  EXPECT_EQ(events[1].payload, "after");
  batch.Clear();
  EXPECT_EQ(batch.bytes(), 0u);
  EXPECT_TRUE(batch.empty());
}

// A frame cut short yields the whole events before the cut and no more.
TEST(EventBatchTest, ATruncatedFrameYieldsOnlyItsWholeEvents) {
  EventBatch batch;
  batch.Add(7, 70, "seven");
  batch.Add(8, 80, "eight");
  const auto message = batch.Message();
  const std::string bytes = message[1].to_string();
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    std::string_view events(bytes.data(), cut);
    ForwardedEvent e;
    std::size_t whole = 0;
    while (EventBatch::Next(&events, &e)) ++whole;
    // 24 header bytes + 5 payload bytes per event.
    EXPECT_EQ(whole, cut / 29) << "cut at " << cut;
  }
}

}  // namespace
}  // namespace riskd::daemon
