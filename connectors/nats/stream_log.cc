#include "connectors/nats/stream_log.h"

#include <cstring>

namespace riskd::connectors::nats {
namespace {

constexpr const char* kMsgIdHeader = "Nats-Msg-Id";

}  // namespace

Status EnsureStream(const NatsConnection& connection, const StreamOptions& options) {
  if (!IsNatsName(options.stream)) {
    return Status::InvalidArgument("nats: stream name '" + options.stream +
                                   "' must match [A-Za-z0-9_-]{1,64}");
  }
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, connection.js(), options.stream.c_str(), nullptr, &code);
  if (s == NATS_OK) {
    bool captures = false;
    for (int i = 0; i < info->Config->SubjectsLen; ++i) {
      captures = captures || SubjectMatches(info->Config->Subjects[i], options.subject);
    }
    jsStreamInfo_Destroy(info);
    if (!captures) {
      return Status::FailedPrecondition("nats: stream '" + options.stream +
                                        "' exists but does not capture subject '" +
                                        options.subject + "'");
    }
    return Status::Ok();
  }
  if (code != JSStreamNotFoundErr && s != NATS_NOT_FOUND) {
    return NatsError("nats: stream '" + options.stream + "' info", s, code);
  }
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = options.stream.c_str();
  const char* subjects[] = {options.subject.c_str()};
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Replicas = options.replicas;
  config.Duplicates = std::chrono::nanoseconds(options.duplicate_window).count();
  code = static_cast<jsErrCode>(0);
  s = js_AddStream(&info, connection.js(), &config, nullptr, &code);
  if (s != NATS_OK && code != JSStreamNameExistErr) {  // another instance won the race
    return NatsError("nats: cannot create stream '" + options.stream + "' (" +
                         std::to_string(options.replicas) + " replica(s))",
                     s, code);
  }
  jsStreamInfo_Destroy(info);
  return Status::Ok();
}

Result<std::unique_ptr<StreamLog>> StreamLog::Open(const NatsConnection* connection,
                                                   StreamOptions options) {
  std::unique_ptr<StreamLog> log(new StreamLog(connection, std::move(options)));
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = connection->timeout().count();
  jo.PublishAsync.AckHandler = &StreamLog::OnAck;
  jo.PublishAsync.AckHandlerClosure = log.get();
  auto js = connection->NewJetStream(&jo);
  if (!js.ok()) return js.status();
  log->async_js_ = *js;
  return log;
}

StreamLog::~StreamLog() { jsCtx_Destroy(async_js_); }

void StreamLog::OnAck(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure) {
  auto* self = static_cast<StreamLog*>(closure);
  const char* id = nullptr;
  if (natsMsgHeader_Get(msg, kMsgIdHeader, &id) == NATS_OK && id != nullptr) {
    std::lock_guard<std::mutex> lock(self->mu_);
    auto it = self->in_flight_.find(id);
    if (it != self->in_flight_.end()) {
      Outcome& o = self->outcomes_[it->second];
      o.done = true;
      if (ack != nullptr && ack->Sequence == 0) {
        // Not an acknowledgement: nats-server 2.10.14 and later 2.10
        // releases answer a publish whose message id is still being
        // proposed (or whose proposal a leader change dropped) "duplicate"
        // at sequence 0, whether or not the stream ever stores it. Only a
        // sequence says where the event is; without one the producer must
        // retry.
        o.error = ack->Duplicate ? "the stream answered duplicate without a sequence"
                                 : "the stream answered without a sequence";
      } else if (ack != nullptr) {
        o.ok = true;
        o.event = {ack->Sequence, ack->Duplicate};
      } else if (error != nullptr) {
        o.error = error->ErrText != nullptr ? error->ErrText : natsStatus_GetText(error->Err);
        if (error->ErrCode != 0)
          o.error += " (JetStream error " + std::to_string(static_cast<int>(error->ErrCode)) + ")";
      }
    }
  }
  // With an acknowledgement handler, the message is ours to destroy.
  natsMsg_Destroy(msg);
}

Result<std::vector<PublishedEvent>> StreamLog::Publish(std::span<const OutgoingEvent> events) {
  std::vector<PublishedEvent> out(events.size());
  if (events.empty()) return out;
  std::vector<std::size_t> first(events.size());
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_.clear();
    outcomes_.assign(events.size(), Outcome{});
    for (std::size_t i = 0; i < events.size(); ++i) {
      first[i] = in_flight_.emplace(std::string(events[i].event_id), i).first->second;
    }
  }
  const auto timeout = connection_->timeout().count();
  std::string failure;
  for (std::size_t i = 0; i < events.size() && failure.empty(); ++i) {
    if (first[i] != i) continue;
    const std::string id(events[i].event_id);
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = id.c_str();
    po.MaxWait = timeout;
    po.ExpectStream = options_.stream.c_str();
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, options_.subject.c_str(), nullptr, events[i].payload.data(),
                                  static_cast<int>(events[i].payload.size()));
    if (s == NATS_OK) s = js_PublishMsgAsync(async_js_, &msg, &po);
    natsMsg_Destroy(msg);  // no-op when the library took it
    if (s != NATS_OK) failure = NatsError("publish", s).message();
  }
  // Every message sent gets its acknowledgement or its own timeout.
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = timeout + 2000;
  if (js_PublishAsyncComplete(async_js_, &wait) != NATS_OK) {
    natsMsgList pending{};
    if (js_PublishAsyncGetPendingList(&pending, async_js_) == NATS_OK)
      natsMsgList_Destroy(&pending);
    // Let handlers already running return before the batch is forgotten.
    wait.MaxWait = 1000;
    (void)js_PublishAsyncComplete(async_js_, &wait);
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Outcome& o = outcomes_[first[i]];
    if (!o.done || !o.ok) {
      if (failure.empty()) {
        failure = "event '" + std::string(events[i].event_id) +
                  "': " + (o.done ? o.error : std::string("no acknowledgement"));
      }
      continue;
    }
    out[i] = o.event;
    if (first[i] != i) out[i].duplicate = true;
  }
  in_flight_.clear();
  outcomes_.clear();
  if (!failure.empty()) {
    return Status::Unavailable("stream '" + options_.stream +
                               "' did not store the batch: " + failure);
  }
  return out;
}

}  // namespace riskd::connectors::nats
