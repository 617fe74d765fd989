// StreamLog: the event log on a JetStream stream, producer side. Ensure()
// creates the stream if it is missing (or checks that the existing one
// captures the subject); Publish() sends a batch of serialized Envelopes,
// each with message id = event id so the server drops a repeat within the
// stream's duplicate window, and waits for every acknowledgement. An
// acknowledged event is stored on a majority of the stream's replicas; an
// answer without a stream sequence (some servers answer a message id still
// in flight "duplicate at 0") is not an acknowledgement.
//
// Thread-safety: Publish() is called by one thread at a time (the daemon's
// ingest thread); Ensure() before it.
#ifndef RISKD_CONNECTORS_NATS_STREAM_LOG_H_
#define RISKD_CONNECTORS_NATS_STREAM_LOG_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "connectors/nats/nats_connection.h"

namespace riskd::connectors::nats {

struct StreamOptions {
  // Stream name ([A-Za-z0-9_-]{1,64}).
  std::string stream = "RISKD_EVENTS";
  // Subject the events are published to (and that the stream captures).
  std::string subject = "riskd.events";
  // Replicas when the stream is created here.
  int replicas = 3;
  // De-duplication window when the stream is created here.
  std::chrono::milliseconds duplicate_window{std::chrono::minutes(2)};
};

// Creates the stream if missing: file storage, limits retention without
// limits, `subject`, `replicas`, `duplicate_window`. An existing stream is
// used as it is, provided it captures `subject`.
Status EnsureStream(const NatsConnection& connection, const StreamOptions& options);

struct OutgoingEvent {
  std::string_view event_id;
  std::string_view payload;  // serialized riskd.v1.Envelope
};

struct PublishedEvent {
  std::uint64_t seq = 0;   // stream sequence (of the earlier copy for duplicates)
  bool duplicate = false;  // the server already held this event id
};

class StreamLog {
 public:
  static Result<std::unique_ptr<StreamLog>> Open(const NatsConnection* connection,
                                                 StreamOptions options);
  ~StreamLog();
  StreamLog(const StreamLog&) = delete;
  StreamLog& operator=(const StreamLog&) = delete;

  // Publishes every event (pipelined) and waits for all acknowledgements,
  // at most the connection's timeout. An id repeated within the batch is
  // sent once; its later copies are reported duplicate. Fails (unavailable)
  // when any event was not acknowledged: some may be stored nevertheless,
  // and a retry is answered duplicate for those.
  Result<std::vector<PublishedEvent>> Publish(std::span<const OutgoingEvent> events);

  const StreamOptions& options() const { return options_; }

 private:
  StreamLog(const NatsConnection* connection, StreamOptions options)
      : connection_(connection), options_(std::move(options)) {}
  // Asynchronous-publish acknowledgement handler (a client thread).
  static void OnAck(jsCtx* js, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure);

  const NatsConnection* connection_;
  StreamOptions options_;
  jsCtx* async_js_ = nullptr;  // with OnAck as its handler

  // The batch in flight, written by OnAck.
  struct Outcome {
    bool done = false;
    bool ok = false;
    PublishedEvent event;
    std::string error;
  };
  std::mutex mu_;
  std::unordered_map<std::string, std::size_t> in_flight_;  // event id -> outcome
  std::vector<Outcome> outcomes_;
};

}  // namespace riskd::connectors::nats

#endif  // RISKD_CONNECTORS_NATS_STREAM_LOG_H_
