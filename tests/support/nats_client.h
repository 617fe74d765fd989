// NatsTestClient: the test's own NATS client (the C library directly, not
// riskd's connectors), an independent observer and producer for the NATS
// end-to-end tests and the failover benchmark: publishes Envelopes into the
// stream with message id = event id, reads the whole stream back, and
// collects the daemons' publications from their subjects.
//
// Thread-safety: Publish/ReadStream/StreamLastSeq from one thread;
// publications() may be read from any (it copies under a lock).
#ifndef RISKD_TESTS_SUPPORT_NATS_CLIENT_H_
#define RISKD_TESTS_SUPPORT_NATS_CLIENT_H_

#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "riskd/v1/envelope.pb.h"
#include "riskd/v1/outputs.pb.h"

namespace riskd::testing {

struct StreamRecord {
  std::uint64_t seq = 0;
  std::string event_id;  // Nats-Msg-Id
  std::string payload;
};

struct ReceivedPublication {
  std::string subject;
  riskd::v1::Publication publication;
  std::chrono::steady_clock::time_point at;
};

class NatsTestClient {
 public:
  // Connects to any of `urls` (reconnecting forever); null on failure.
  static std::unique_ptr<NatsTestClient> Connect(
      const std::vector<std::string>& urls,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
  ~NatsTestClient();

  // Publishes with message id = event id; the stream sequence it got (the
  // original's for a duplicate) and whether it was a duplicate, or nullopt
  // when the stream did not acknowledge it (retry).
  struct Ack {
    std::uint64_t seq = 0;
    bool duplicate = false;
  };
  std::optional<Ack> Publish(const std::string& subject, const riskd::v1::Envelope& envelope);
  // Raw bytes with a message id (for garbage and hand-made messages).
  std::optional<Ack> PublishBytes(const std::string& subject, const std::string& msg_id,
                                  const std::string& bytes);

  // Every message of the stream, in order (an ordered, ephemeral consumer).
  std::optional<std::vector<StreamRecord>> ReadStream(const std::string& stream);
  // The stream's last sequence, or nullopt if the stream cannot be asked.
  std::optional<std::uint64_t> StreamLastSeq(const std::string& stream);
  // Replaces the durable pull consumer `durable` of `stream` (filter
  // `subject`) with one of the same name that a reader pulling from it by
  // name gets nothing more from: StallConsumer, a pull consumer that
  // delivers `start` (a sequence the reader has read: it drops it,
  // unacknowledged) and, with that one pending acknowledgement (explicit
  // acks, at most one pending, an hour's ack wait), nothing after it;
  // BreakConsumer, a push consumer (every pull fails). False on failure.
  bool StallConsumer(const std::string& stream, const std::string& durable,
                     const std::string& subject, std::uint64_t start);
  bool BreakConsumer(const std::string& stream, const std::string& durable,
                     const std::string& subject);
  // Deletes message `seq` of `stream`.
  bool DeleteMessage(const std::string& stream, std::uint64_t seq);

  // Collects every Publication on subjects matching `subject` (e.g.
  // "riskd.out.>") from now on.
  bool Subscribe(const std::string& subject);
  std::vector<ReceivedPublication> publications() const;
  // The largest epoch `publisher` has published under so far (0: none).
  std::uint64_t LatestEpoch(const std::string& publisher) const;
  // When `publisher` first published under an epoch above `above`.
  std::optional<std::chrono::steady_clock::time_point> FirstAbove(const std::string& publisher,
                                                                  std::uint64_t above) const;

 private:
  NatsTestClient() = default;
  static void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
  bool ReplaceConsumer(const std::string& stream, jsConsumerConfig* config);

  natsOptions* options_ = nullptr;
  natsConnection* connection_ = nullptr;
  jsCtx* js_ = nullptr;
  natsSubscription* subscription_ = nullptr;
  mutable std::mutex mu_;
  std::vector<ReceivedPublication> publications_;
};

}  // namespace riskd::testing

#endif  // RISKD_TESTS_SUPPORT_NATS_CLIENT_H_
