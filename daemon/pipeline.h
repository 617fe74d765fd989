// Every in-process channel of the daemon, in one place: the inproc://
// endpoints its threads use and the frames they exchange (ZeroMQ sockets of
// one context, bounded by their high-water marks).
//
//   ingest thread --PUSH kEventsEndpoint--> engine thread
//     ["E", seq, Envelope, seq, Envelope, ...]         a journaled batch (seq: 8
//                                                      bytes, little endian, then
//                                                      the receipt time in ns, 8)
//     ["Q", Envelope, routing frames...]               a query to answer
//     ["R", settings]                                  new settings (8 bytes: a
//                                                      DaemonSettings*, kept alive
//                                                      by the Daemon)
//     ["X"]                                            drain and exit
//   engine thread --PUSH kRepliesEndpoint--> ingest thread
//     [routing frames..., Ack]                         a query's answer
//     ["X"]                                            drained: nothing follows
//   feed poller, dashboard --DEALER kInprocIngestEndpoint--> the ingest ROUTER
//     [Envelope] / [Ack]                               as any producer over TCP
//   engine thread --PUB kInprocPublishEndpoint--> Alertmanager forwarder,
//                                                 dashboard relay
//     [topic, Publication]                             as any subscriber sees
//   libzmq --PAIR kIngestMonitorEndpoint--> ingest thread
//     [event (uint16) + value (uint32), endpoint]      the ROUTER's disconnects
//                                                      and refused handshakes
//   libzmq --PAIR kPublishMonitorEndpoint--> ingest thread
//     [event (uint16) + value (uint32), endpoint]      the PUB's refused handshakes
//
// (ZeroMQ itself asks the CURVE handler on inproc://zeromq.zap.01, fixed by
// the ZAP specification: connectors/zmq/curve_auth.h.)
//
// Thread-safety: constants and pure functions only.
#ifndef RISKD_DAEMON_PIPELINE_H_
#define RISKD_DAEMON_PIPELINE_H_

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>
#include <zmq.hpp>

namespace riskd::daemon {

inline constexpr const char* kEventsEndpoint = "inproc://riskd.events";
inline constexpr const char* kRepliesEndpoint = "inproc://riskd.replies";
inline constexpr const char* kInprocIngestEndpoint = "inproc://riskd.ingest";
inline constexpr const char* kInprocPublishEndpoint = "inproc://riskd.publish";
// The ingest ROUTER's socket monitor (libzmq events: disconnects, refused
// handshakes) and the PUB's (refused handshakes).
inline constexpr const char* kIngestMonitorEndpoint = "inproc://riskd.ingest.monitor";
inline constexpr const char* kPublishMonitorEndpoint = "inproc://riskd.publish.monitor";
// A handshake that failed. (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH repeats what the
// ZAP handler already reported, with less: not watched.)
inline constexpr int kHandshakeMonitorEvents =
    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL;

inline constexpr char kEventFrame = 'E';
inline constexpr char kQueryFrame = 'Q';
inline constexpr char kStopFrame = 'X';
inline constexpr char kSettingsFrame = 'R';

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

// ["Q", payload, routing...]: moves the frames in.
inline std::vector<zmq::message_t> QueryMessage(zmq::message_t payload,
                                                std::vector<zmq::message_t> routing) {
  std::vector<zmq::message_t> out;
  out.reserve(routing.size() + 2);
  out.emplace_back(&kQueryFrame, 1);
  out.push_back(std::move(payload));
  for (auto& r : routing) out.push_back(std::move(r));
  return out;
}

// ["X"].
inline std::vector<zmq::message_t> StopMessage() {
  std::vector<zmq::message_t> out;
  out.emplace_back(&kStopFrame, 1);
  return out;
}

// ["R", pointer].
inline std::vector<zmq::message_t> SettingsMessage(const void* settings) {
  std::vector<zmq::message_t> out;
  out.emplace_back(&kSettingsFrame, 1);
  const std::string p = EncodeSeq(reinterpret_cast<std::uintptr_t>(settings));
  out.emplace_back(p.data(), p.size());
  return out;
}
inline const void* DecodeSettings(const zmq::message_t& frame) {
  return reinterpret_cast<const void*>(
      static_cast<std::uintptr_t>(DecodeSeq(frame.data(), frame.size())));
}

// Whether a message is the one-frame ["X"].
inline bool IsStopMessage(const std::vector<zmq::message_t>& frames) {
  return frames.size() == 1 && frames[0].size() == 1 && *frames[0].data<char>() == kStopFrame;
}

// ["E"], to which AddEvent appends (seq and receipt time, payload) pairs.
inline std::vector<zmq::message_t> EventBatchMessage() {
  std::vector<zmq::message_t> out;
  out.emplace_back(&kEventFrame, 1);
  return out;
}
inline void AddEvent(std::uint64_t seq, std::int64_t received_unix_ns, const std::string& payload,
                     std::vector<zmq::message_t>* batch) {
  const std::string s = EncodeSeq(seq, received_unix_ns);
  batch->emplace_back(s.data(), s.size());
  batch->emplace_back(payload.data(), payload.size());
}

inline std::int64_t NowUnixNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_PIPELINE_H_
