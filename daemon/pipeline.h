// The in-process channels between the daemon's two threads (ZeroMQ inproc
// sockets, bounded by their high-water marks):
//
//   ingest thread --PUSH kEventsEndpoint--> engine thread
//     ["E", seq, Envelope, seq, Envelope, ...]         a journaled batch (seq: 8
//                                                      bytes, little endian, then
//                                                      the receipt time in ns, 8)
//     ["Q", Envelope, routing frames...]               a query to answer
//     ["X"]                                            drain and exit
//   engine thread --PUSH kRepliesEndpoint--> ingest thread
//     [routing frames..., Ack]                         a query's answer
#ifndef RISKD_DAEMON_PIPELINE_H_
#define RISKD_DAEMON_PIPELINE_H_

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>

namespace riskd::daemon {

inline constexpr const char* kEventsEndpoint = "inproc://riskd.events";
inline constexpr const char* kRepliesEndpoint = "inproc://riskd.replies";
inline constexpr char kEventFrame = 'E';
inline constexpr char kQueryFrame = 'Q';
inline constexpr char kStopFrame = 'X';

// A journaled event's sequence and receipt time (the journal's
// received_unix_ns, so that the engine thread sees the same time live and
// on replay).
inline std::string EncodeSeq(std::uint64_t seq, std::int64_t received_unix_ns = 0) {
  std::string out(16, '\0');
  const auto time = static_cast<std::uint64_t>(received_unix_ns);
  for (int i = 0; i < 8; ++i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>((seq >> (8 * i)) & 0xff);
    out[static_cast<std::size_t>(8 + i)] = static_cast<char>((time >> (8 * i)) & 0xff);
  }
  return out;
}

inline std::uint64_t DecodeSeq(const void* data, std::size_t size) {
  std::uint64_t seq = 0;
  const auto* b = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < 8 && i < size; ++i) seq |= std::uint64_t{b[i]} << (8 * i);
  return seq;
}

inline std::int64_t DecodeReceivedNs(const void* data, std::size_t size) {
  std::uint64_t time = 0;
  const auto* b = static_cast<const unsigned char*>(data);
  for (std::size_t i = 8; i < 16 && i < size; ++i) time |= std::uint64_t{b[i]} << (8 * (i - 8));
  return static_cast<std::int64_t>(time);
}

inline std::int64_t NowUnixNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_PIPELINE_H_
