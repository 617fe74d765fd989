#include "tests/support/nats_client.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace riskd::testing {

std::unique_ptr<NatsTestClient> NatsTestClient::Connect(const std::vector<std::string>& urls,
                                                        std::chrono::milliseconds timeout) {
  std::unique_ptr<NatsTestClient> c(new NatsTestClient());
  std::vector<const char*> servers;
  for (const auto& u : urls) servers.push_back(u.c_str());
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = timeout.count();
  const bool ok = natsOptions_Create(&c->options_) == NATS_OK &&
                  natsOptions_SetServers(c->options_, servers.data(),
                                         static_cast<int>(servers.size())) == NATS_OK &&
                  natsOptions_SetTimeout(c->options_, timeout.count()) == NATS_OK &&
                  natsOptions_SetMaxReconnect(c->options_, -1) == NATS_OK &&
                  natsOptions_SetReconnectWait(c->options_, 100) == NATS_OK &&
                  natsOptions_SetPingInterval(c->options_, 1000) == NATS_OK &&
                  natsOptions_SetMaxPingsOut(c->options_, 2) == NATS_OK &&
                  natsOptions_SetFailRequestsOnDisconnect(c->options_, true) == NATS_OK &&
                  natsConnection_Connect(&c->connection_, c->options_) == NATS_OK &&
                  natsConnection_JetStream(&c->js_, c->connection_, &jo) == NATS_OK;
  return ok ? std::move(c) : nullptr;
}

NatsTestClient::~NatsTestClient() {
  natsSubscription_Destroy(subscription_);
  jsCtx_Destroy(js_);
  natsConnection_Destroy(connection_);
  natsOptions_Destroy(options_);
}

std::optional<NatsTestClient::Ack> NatsTestClient::Publish(const std::string& subject,
                                                           const riskd::v1::Envelope& envelope) {
  return PublishBytes(subject, envelope.event_id(), envelope.SerializeAsString());
}

std::optional<NatsTestClient::Ack> NatsTestClient::PublishBytes(const std::string& subject,
                                                                const std::string& msg_id,
                                                                const std::string& bytes) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = msg_id.c_str();
  jsPubAck* ack = nullptr;
  if (js_Publish(&ack, js_, subject.c_str(), bytes.data(), static_cast<int>(bytes.size()), &po,
                 nullptr) != NATS_OK) {
    return std::nullopt;
  }
  Ack out{ack->Sequence, ack->Duplicate};
  jsPubAck_Destroy(ack);
  return out;
}

std::optional<std::vector<StreamRecord>> NatsTestClient::ReadStream(const std::string& stream) {
  const auto last = StreamLastSeq(stream);
  if (!last) return std::nullopt;
  std::vector<StreamRecord> out;
  if (*last == 0) return out;
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Ordered = true;
  natsSubscription* sub = nullptr;
  if (js_SubscribeSync(&sub, js_, ">", nullptr, &so, nullptr) != NATS_OK) {
    std::fprintf(stderr, "ReadStream: subscribe: %s\n", nats_GetLastError(nullptr));
    return std::nullopt;
  }
  bool ok = true;
  while (out.empty() || out.back().seq < *last) {
    natsMsg* msg = nullptr;
    if (natsSubscription_NextMsg(&msg, sub, 5000) != NATS_OK) {
      std::fprintf(stderr, "ReadStream: after %zu message(s): %s\n", out.size(),
                   nats_GetLastError(nullptr));
      ok = false;
      break;
    }
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
      StreamRecord r;
      r.seq = meta->Sequence.Stream;
      const char* id = nullptr;
      if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id != nullptr) r.event_id = id;
      r.payload.assign(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
      out.push_back(std::move(r));
      jsMsgMetaData_Destroy(meta);
    }
    natsMsg_Destroy(msg);
  }
  natsSubscription_Destroy(sub);
  if (!ok) return std::nullopt;
  return out;
}

bool NatsTestClient::ReplaceConsumer(const std::string& stream, jsConsumerConfig* config) {
  jsErrCode code = static_cast<jsErrCode>(0);
  if (js_DeleteConsumer(js_, stream.c_str(), config->Durable, nullptr, &code) != NATS_OK) {
    std::fprintf(stderr, "ReplaceConsumer: delete: %s (%d)\n", nats_GetLastError(nullptr),
                 static_cast<int>(code));
    return false;
  }
  jsConsumerInfo* info = nullptr;
  if (js_AddConsumer(&info, js_, stream.c_str(), config, nullptr, &code) != NATS_OK) {
    std::fprintf(stderr, "ReplaceConsumer: add: %s (%d)\n", nats_GetLastError(nullptr),
                 static_cast<int>(code));
    return false;
  }
  jsConsumerInfo_Destroy(info);
  return true;
}

bool NatsTestClient::StallConsumer(const std::string& stream, const std::string& durable,
                                   const std::string& subject, std::uint64_t start) {
  jsConsumerConfig config;
  jsConsumerConfig_Init(&config);
  config.Durable = durable.c_str();
  config.AckPolicy = js_AckExplicit;
  config.MaxAckPending = 1;
  config.AckWait = std::chrono::nanoseconds(std::chrono::hours(1)).count();
  config.DeliverPolicy = js_DeliverByStartSequence;
  config.OptStartSeq = start;
  config.FilterSubject = subject.c_str();
  return ReplaceConsumer(stream, &config);
}

bool NatsTestClient::DeleteMessage(const std::string& stream, std::uint64_t seq) {
  return js_DeleteMsg(js_, stream.c_str(), seq, nullptr, nullptr) == NATS_OK;
}

bool NatsTestClient::BreakConsumer(const std::string& stream, const std::string& durable,
                                   const std::string& subject) {
  jsConsumerConfig config;
  jsConsumerConfig_Init(&config);
  config.Durable = durable.c_str();
  config.AckPolicy = js_AckAll;
  config.DeliverPolicy = js_DeliverNew;
  config.DeliverSubject = "riskd.test.nobody";
  config.FilterSubject = subject.c_str();
  return ReplaceConsumer(stream, &config);
}

std::optional<std::uint64_t> NatsTestClient::StreamLastSeq(const std::string& stream) {
  jsStreamInfo* info = nullptr;
  if (js_GetStreamInfo(&info, js_, stream.c_str(), nullptr, nullptr) != NATS_OK)
    return std::nullopt;
  const std::uint64_t last = info->State.LastSeq;
  jsStreamInfo_Destroy(info);
  return last;
}

bool NatsTestClient::Subscribe(const std::string& subject) {
  return natsConnection_Subscribe(&subscription_, connection_, subject.c_str(),
                                  &NatsTestClient::OnMessage, this) == NATS_OK &&
         natsSubscription_SetPendingLimits(subscription_, -1, -1) == NATS_OK &&
         natsConnection_Flush(connection_) == NATS_OK;
}

void NatsTestClient::OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* self = static_cast<NatsTestClient*>(closure);
  ReceivedPublication r;
  r.subject = natsMsg_GetSubject(msg);
  r.at = std::chrono::steady_clock::now();
  const bool parsed =
      r.publication.ParseFromArray(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  natsMsg_Destroy(msg);
  if (!parsed) return;
  std::lock_guard<std::mutex> lock(self->mu_);
  self->publications_.push_back(std::move(r));
}

std::vector<ReceivedPublication> NatsTestClient::publications() const {
  std::lock_guard<std::mutex> lock(mu_);
  return publications_;
}

std::uint64_t NatsTestClient::LatestEpoch(const std::string& publisher) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::uint64_t epoch = 0;
  for (const auto& p : publications_) {
    if (p.publication.publisher() == publisher) epoch = std::max(epoch, p.publication.epoch());
  }
  return epoch;
}

std::optional<std::chrono::steady_clock::time_point> NatsTestClient::FirstAbove(
    const std::string& publisher, std::uint64_t above) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& p : publications_) {
    if (p.publication.publisher() == publisher && p.publication.epoch() > above) return p.at;
  }
  return std::nullopt;
}

}  // namespace riskd::testing
