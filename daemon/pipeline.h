// Every in-process channel of the daemon, in one place: the inproc://
// endpoints its threads use and the frames they exchange (ZeroMQ sockets of
// one context, bounded by their high-water marks).
//
//   ingest thread --PUSH kEventsEndpoint--> engine thread
//     ["E", events]                                    a journaled batch, in one
//                                                      frame (EventBatch): per
//                                                      event its seq (8 bytes,
//                                                      little endian), receipt
//                                                      time in ns (8), Envelope
//                                                      size (8) and Envelope
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
#include <string_view>
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

// 8 bytes, little endian (a settings pointer).
inline std::string EncodeSeq(std::uint64_t seq) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>((seq >> (8 * i)) & 0xff);
  }
  return out;
}

inline std::uint64_t DecodeSeq(const void* data, std::size_t size) {
  std::uint64_t seq = 0;
  const auto* b = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < 8 && i < size; ++i) seq |= std::uint64_t{b[i]} << (8 * i);
  return seq;
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

// A journaled event as the engine thread gets it: its sequence, its receipt
// time (the journal's received_unix_ns, so that the engine thread sees the
// same time live and on replay) and the journaled Envelope's bytes.
struct ForwardedEvent {
  std::uint64_t seq = 0;
  std::int64_t received_unix_ns = 0;
  std::string_view payload;
};

// The events of one ["E", events] message, packed into one frame: one
// ZeroMQ frame per batch rather than two per event (each frame costs an
// allocation, a pipe write and a read; bench/README.md, `ingestcpu`).
// Add only records where each payload is; Message() writes them straight
// into the frame, so a batch's payloads are copied once, not twice.
class EventBatch {
 public:
  static constexpr std::size_t kHeaderBytes = 8 + 8 + 8;  // seq, time, size
  // Forgets the events added so far (one EventBatch serves every batch).
  void Clear() {
    events_.clear();
    bytes_ = 0;
  }
  bool empty() const { return events_.empty(); }
  // The size of the frame Message() makes.
  std::size_t bytes() const { return bytes_; }
  // `payload` is viewed, not copied: it must outlive the next Message().
  void Add(std::uint64_t seq, std::int64_t received_unix_ns, std::string_view payload) {
    events_.push_back({seq, received_unix_ns, payload});
    bytes_ += kHeaderBytes + payload.size();
  }
  // ["E", events].
  std::vector<zmq::message_t> Message() const {
    std::vector<zmq::message_t> out;
    out.reserve(2);
    out.emplace_back(&kEventFrame, 1);
    char* p = out.emplace_back(bytes_).data<char>();
    for (const ForwardedEvent& e : events_) {
      PutLe(&p, e.seq);
      PutLe(&p, static_cast<std::uint64_t>(e.received_unix_ns));
      PutLe(&p, e.payload.size());
      if (!e.payload.empty()) std::memcpy(p, e.payload.data(), e.payload.size());
      p += e.payload.size();
    }
    return out;
  }

  // Reads the next event of `*events` (an "E" message's second frame) and
  // advances past it; false at the end, or when what is left is not a whole
  // event.
  static bool Next(std::string_view* events, ForwardedEvent* out) {
    constexpr std::size_t kHeader = kHeaderBytes;
    if (events->size() < kHeader) return false;
    const char* p = events->data();
    const std::uint64_t size = GetLe(p + 16, 8);
    if (events->size() - kHeader < size) return false;
    out->seq = GetLe(p, 8);
    out->received_unix_ns = static_cast<std::int64_t>(GetLe(p + 8, 8));
    out->payload = std::string_view(p + kHeader, static_cast<std::size_t>(size));
    events->remove_prefix(kHeader + static_cast<std::size_t>(size));
    return true;
  }

 private:
  static void PutLe(char** p, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) *(*p)++ = static_cast<char>((v >> (8 * i)) & 0xff);
  }
  static std::uint64_t GetLe(const char* p, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) {
      v |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
    }
    return v;
  }

  std::vector<ForwardedEvent> events_;
  std::size_t bytes_ = 0;
};

inline std::int64_t NowUnixNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_PIPELINE_H_
