#include "connectors/nats/stream_consumer.h"

#include <nlohmann/json.hpp>

#include <sodium.h>

#include <algorithm>
#include <string_view>
#include <thread>

namespace riskd::connectors::nats {
namespace {

constexpr std::string_view kMsgIdHeader = "Nats-Msg-Id";
// How soon an answer of the stream's leader that is not a message is
// asked again (SameAsLeaders).
constexpr std::chrono::milliseconds kLeaderAskAgain{100};

// A base64 field of a JetStream API answer, decoded; nullopt if it is not
// base64 (an absent field is empty: the server omits empty ones).
std::optional<std::string> Base64Field(const nlohmann::json& object, const char* name) {
  const auto f = object.find(name);
  if (f == object.end()) return std::string();
  if (!f->is_string()) return std::nullopt;
  const auto& text = f->get_ref<const std::string&>();
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t size = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &size, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return std::nullopt;
  }
  out.resize(size);
  return out;
}

// The Nats-Msg-Id value in a NATS header block ("NATS/1.0\r\nName:
// value\r\n...\r\n"), empty without one.
std::string MsgIdInHeaders(std::string_view block) {
  std::size_t at = block.find("\r\n");  // past the version line
  while (at != std::string_view::npos) {
    at += 2;
    const std::size_t end = block.find("\r\n", at);
    const std::string_view line = block.substr(at, end == std::string_view::npos ? end : end - at);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && line.substr(0, colon) == kMsgIdHeader) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
      return std::string(value);
    }
    at = end;
  }
  return {};
}

// A stream message's sequence, time and pending count into `m`, and its
// consumer sequence (the consumer's count of deliveries) into `delivery`;
// false if `msg` is not a stream message (a status).
bool ReadMetadata(natsMsg* msg, StreamMessage* m, std::uint64_t* delivery) {
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) return false;
  m->seq = meta->Sequence.Stream;
  *delivery = meta->Sequence.Consumer;
  m->time_ns = meta->Timestamp;
  m->pending = meta->NumPending;
  jsMsgMetaData_Destroy(meta);
  return true;
}

// A message for the log: its id (or "no id") and size.
std::string Named(std::string_view id, std::size_t bytes) {
  return (id.empty() ? std::string("no id") : "'" + std::string(id) + "'") + " (" +
         std::to_string(bytes) + " bytes)";
}

// The answer to `body`, a request to `api`: waited for up to the
// connection's timeout, in slices of 100 ms to heed a stop request
// (`aborted`). A raw request: the C client has no call for the API.
Result<natsMsg*> AwaitAnswer(const NatsConnection& connection, const std::string& api,
                             const std::string& body, const std::atomic<bool>* stop,
                             const std::string& what) {
  natsConnection* nc = connection.get();
  natsInbox* inbox = nullptr;
  natsStatus s = natsInbox_Create(&inbox);
  if (s != NATS_OK) return NatsError(what, s);
  natsSubscription* sub = nullptr;
  s = natsConnection_SubscribeSync(&sub, nc, inbox);
  if (s == NATS_OK) s = natsSubscription_AutoUnsubscribe(sub, 1);
  if (s == NATS_OK) {
    s = natsConnection_PublishRequest(nc, api.c_str(), inbox, body.data(),
                                      static_cast<int>(body.size()));
  }
  natsInbox_Destroy(inbox);
  natsMsg* reply = nullptr;
  const auto deadline = std::chrono::steady_clock::now() + connection.timeout();
  while (s == NATS_OK && reply == nullptr) {
    if (stop != nullptr && stop->load()) {
      natsSubscription_Destroy(sub);
      return Status::Aborted(what + ": stopping");
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      s = NATS_TIMEOUT;
      break;
    }
    s = natsSubscription_NextMsg(&reply, sub, std::min<std::int64_t>(left.count(), 100));
    if (s == NATS_TIMEOUT) s = NATS_OK;  // the next slice
  }
  natsSubscription_Destroy(sub);
  if (s == NATS_TIMEOUT) {
    // A request the user may not publish gets no answer (the server only
    // tells the connection's error handler): name the permission needed.
    return NatsError(what + " (no answer: may this NATS user publish to '" + api + "'?)", s);
  }
  if (s != NATS_OK) return NatsError(what, s);
  if (natsMsg_IsNoResponders(reply)) {
    natsMsg_Destroy(reply);
    return NatsError(what, NATS_NO_RESPONDERS);
  }
  return reply;
}

// A message-get API answer's error: "none" for "no message found", an
// error status for anything else (no leader, no such stream, ...), which
// is not an answer to the question.
Result<std::optional<LeaderMessage>> MessageGetError(const nlohmann::json& error,
                                                     const std::string& what) {
  // (Checked types: a value of another type would throw.)
  const auto c = error.find("err_code");
  const auto d = error.find("description");
  const std::int64_t code = c != error.end() && c->is_number_integer() ? c->get<std::int64_t>() : 0;
  if (code == JSNoMessageFoundErr) return std::optional<LeaderMessage>();
  const std::string text = what + ": " +
                           (d != error.end() && d->is_string() ? d->get<std::string>() : "error") +
                           " (JetStream error " + std::to_string(code) + ")";
  if (code == JSStreamNotFoundErr) return Status::NotFound(text);
  if (code == JSClusterNotAvailErr) return Status::Unavailable(text);
  return Status::Internal(text);
}

// A message-get API answer (JSON): the message, or "none", or an error.
Result<std::optional<LeaderMessage>> ParseMessageGet(std::string_view text,
                                                     const std::string& what) {
  const auto answer = nlohmann::json::parse(text, nullptr, false);
  if (!answer.is_object()) return Status::Internal(what + ": the answer is not JSON");
  if (const auto e = answer.find("error"); e != answer.end() && e->is_object()) {
    return MessageGetError(*e, what);
  }
  const auto m = answer.find("message");
  if (m == answer.end() || !m->is_object() || !m->contains("seq") ||
      !m->at("seq").is_number_unsigned()) {
    return Status::Internal(what + ": the answer has no message sequence");
  }
  // The message's headers and payload, base64 (omitted when empty).
  const auto headers = Base64Field(*m, "hdrs");
  auto payload = Base64Field(*m, "data");
  if (!headers || !payload) return Status::Internal(what + ": the answer's message is not base64");
  LeaderMessage out;
  out.seq = m->at("seq").get<std::uint64_t>();
  out.msg_id = MsgIdInHeaders(*headers);
  out.payload = std::move(*payload);
  return std::optional<LeaderMessage>(std::move(out));
}

}  // namespace

Result<std::optional<LeaderMessage>> RequestLeaderFirstFrom(const NatsConnection& connection,
                                                            const std::string& stream,
                                                            const std::string& subject,
                                                            std::uint64_t from,
                                                            const std::atomic<bool>* stop) {
  // The message-get API with next_by_subj (nats-server 2.9+): the first
  // message at or after `seq` on a subject (filter). Only the stream's
  // leader answers it (a stream without a leader answers "cluster not
  // available"), unlike stream info or a direct get, which replicas answer
  // from their own stores.
  const std::string what = "nats: stream '" + stream + "' first message from seq " +
                           std::to_string(from) + " on '" + subject + "'";
  const std::string api = "$JS.API.STREAM.MSG.GET." + stream;
  const std::string body = nlohmann::json{{"seq", from}, {"next_by_subj", subject}}.dump();
  auto reply = AwaitAnswer(connection, api, body, stop, what);
  if (!reply.ok()) return reply.status();
  const char* data = natsMsg_GetData(*reply);
  auto answer =
      ParseMessageGet(std::string_view(data != nullptr ? data : "",
                                       static_cast<std::size_t>(natsMsg_GetDataLength(*reply))),
                      what);
  natsMsg_Destroy(*reply);
  return answer;
}

Result<std::unique_ptr<StreamConsumer>> StreamConsumer::Open(const NatsConnection* connection,
                                                             ConsumerOptions options) {
  if (!IsNatsName(options.durable)) {
    return Status::InvalidArgument("nats: consumer name '" + options.durable +
                                   "' must match [A-Za-z0-9_-]{1,64}");
  }
  if (options.max_batch < 1)
    return Status::InvalidArgument("nats: consumer max_batch must be >= 1");
  if (!options.leader_lookup) {
    options.leader_lookup = [connection, stream = options.stream, subject = options.subject,
                             stop = options.stop](std::uint64_t from) {
      return RequestLeaderFirstFrom(*connection, stream, subject, from, stop);
    };
  }
  return std::unique_ptr<StreamConsumer>(new StreamConsumer(connection, std::move(options)));
}

StreamConsumer::~StreamConsumer() { DropSubscription(); }

void StreamConsumer::DropSubscription() {
  for (auto& [seq, msg] : unacked_) natsMsg_Destroy(msg);
  unacked_.clear();
  if (subscription_ != nullptr) {
    // The durable consumer stays on the server; only this binding goes.
    natsSubscription_Destroy(subscription_);
    subscription_ = nullptr;
  }
}

Status StreamConsumer::Seek(std::uint64_t next) {
  DropSubscription();
  last_delivery_ = 0;  // a new consumer counts its deliveries from 1
  // Until this succeeds, Fetch() retries it from here.
  position_ = next == 0 ? 0 : next - 1;
  needs_seek_ = true;
  stats_.seek_failures++;  // until it succeeds
  jsCtx* js = connection_->js();
  const char* stream = options_.stream.c_str();
  const char* durable = options_.durable.c_str();
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_DeleteConsumer(js, stream, durable, nullptr, &code);
  if (s != NATS_OK && code != JSConsumerNotFoundErr && s != NATS_NOT_FOUND) {
    return NatsError("nats: cannot reset consumer '" + options_.durable + "'", s, code);
  }
  jsConsumerConfig config;
  jsConsumerConfig_Init(&config);
  config.Durable = durable;
  config.AckPolicy = js_AckAll;
  config.DeliverPolicy = next <= 1 ? js_DeliverAll : js_DeliverByStartSequence;
  config.OptStartSeq = next <= 1 ? 0 : next;
  config.FilterSubject = options_.subject.c_str();
  config.MaxAckPending = 4 * static_cast<int64_t>(options_.max_batch);
  config.AckWait = std::chrono::nanoseconds(std::chrono::seconds(30)).count();
  jsConsumerInfo* info = nullptr;
  code = static_cast<jsErrCode>(0);
  s = js_AddConsumer(&info, js, stream, &config, nullptr, &code);
  jsConsumerInfo_Destroy(info);
  if (s != NATS_OK) {
    return NatsError("nats: cannot create consumer '" + options_.durable + "' on stream '" +
                         options_.stream + "'",
                     s, code);
  }
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream;
  so.Consumer = durable;
  code = static_cast<jsErrCode>(0);
  s = js_PullSubscribe(&subscription_, js, options_.subject.c_str(), durable, nullptr, &so, &code);
  if (s != NATS_OK) {
    subscription_ = nullptr;
    return NatsError("nats: cannot bind to consumer '" + options_.durable + "'", s, code);
  }
  accept_any_next_ = true;
  needs_seek_ = false;
  stats_.seek_failures--;
  stats_.seeks++;
  stats_.last_seek_from = std::max<std::uint64_t>(next, 1);
  return Status::Ok();
}

Result<std::vector<StreamMessage>> StreamConsumer::Fetch(std::chrono::milliseconds wait) {
  if (needs_seek_) {
    // Not during a stop (the next fetch after it, if any, re-creates it).
    if (stopping()) return std::vector<StreamMessage>();
    RISKD_RETURN_IF_ERROR(Seek(position_ + 1));
  }
  natsMsgList list{};
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s =
      natsSubscription_Fetch(&list, subscription_, options_.max_batch, wait.count(), &code);
  if (s == NATS_TIMEOUT && list.Count == 0) return std::vector<StreamMessage>();
  if (s != NATS_OK && list.Count == 0) {
    return NatsError("nats: fetch from consumer '" + options_.durable + "'", s, code);
  }
  FetchedBatch batch;
  batch.read_from = position_ + 1;
  batch.refusals_before = stats_.reads_refused;
  jump_checks_ = {};
  for (int i = 0; i < list.Count && !batch.gap; ++i) TakeDelivery(list.Msgs[i], &batch);
  CheckBatchEnd(&batch);
  if (batch.last != nullptr) {
    HoldForAck(&list, batch.last, batch.last_seq);
    stats_.jumps_taken += batch.jumps;
  }
  natsMsgList_Destroy(&list);
  if (batch.gap) ReadAgainFromPosition(stats_.reads_refused != batch.refusals_before);
  return std::move(batch.out);
}

void StreamConsumer::TakeDelivery(natsMsg* msg, FetchedBatch* batch) {
  StreamMessage m;
  std::uint64_t delivery = 0;
  if (!ReadMetadata(msg, &m, &delivery)) return;  // not a stream message (status)
  // Whether no delivery was lost since the last one received (the
  // redeliveries dropped below count too: the server numbers them).
  const bool in_turn = delivery == last_delivery_ + 1;
  last_delivery_ = delivery;
  if (m.seq <= position_) {
    stats_.redelivered++;  // already returned: a redelivery
    return;
  }
  const char* data = natsMsg_GetData(msg);
  m.payload.assign(data != nullptr ? data : "",
                   static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  const bool jump = !accept_any_next_ && m.seq != position_ + 1;
  if (!InOrderOrLeaders(msg, m, in_turn, &batch->checked)) {
    batch->gap = true;
    return;
  }
  if (jump) ++batch->jumps;
  accept_any_next_ = false;
  position_ = m.seq;
  batch->last = msg;
  batch->last_seq = m.seq;
  batch->out.push_back(std::move(m));
}

void StreamConsumer::CheckBatchEnd(FetchedBatch* batch) {
  // Nothing taken, or its last message already checked (a start or a jump).
  if (batch->last == nullptr || batch->last_seq == batch->checked) return;
  if (BatchEndIsLeaders(&batch->out, batch->last, batch->read_from)) return;
  // Refused, or a stop ended the check: nothing of it is returned, and
  // it is read again from a re-created consumer.
  batch->last = nullptr;
  batch->gap = true;
}

void StreamConsumer::HoldForAck(natsMsgList* list, natsMsg* last, std::uint64_t last_seq) {
  // Keep the batch's last message for its acknowledgement (ack-all): out
  // of the list, which destroys the others.
  for (int i = 0; i < list->Count; ++i) {
    if (list->Msgs[i] == last) list->Msgs[i] = nullptr;
  }
  unacked_.emplace_back(last_seq, last);
}

void StreamConsumer::ReadAgainFromPosition(bool refused) {
  // The consumer redelivers in order now (or at the next Fetch, if the
  // server cannot be reached right now; not during a stop). A refused read
  // is re-created at the next Fetch: the caller learns of the refusal first
  // (no longer caught up) and pauses before it.
  if (stopping() || refused) {
    DropSubscription();
    needs_seek_ = true;
  } else {
    (void)Seek(position_ + 1);
  }
}

bool StreamConsumer::StartIsLeaders(natsMsg* first, const StreamMessage& m, bool in_turn) {
  // It must be the leader's first on the subject from the sequence sought:
  // the same sequence (past it only over messages that are gone) and the
  // same message (a replica may hold another one there).
  const Status same = SameAsLeaders(position_ + 1, first, m);
  if (same.ok()) {
    start_lost_ = false;
    return true;
  }
  // A stop request that ended the look-up is no answer, and no refusal.
  if (same.code() == Status::Code::kAborted) return false;
  // Not the consumer's first delivery (its consumer sequence is not 1):
  // that one was lost on the way, and this message is not the consumer's
  // start, which is then not known. A gap (re-created at once, no pause),
  // not a refusal, unless the start before was forgiven so too: a
  // consumer led from a replica that lacks messages is refused at the
  // latest at its second start in a row, and nothing of it is returned
  // either way (the header).
  if (!in_turn && !start_lost_) {
    stats_.lost_deliveries++;
    start_lost_ = true;
    return false;
  }
  start_lost_ = false;
  Refuse(position_ + 1, m.seq, same.message());
  return false;
}

bool StreamConsumer::InOrderOrLeaders(natsMsg* msg, const StreamMessage& m, bool in_turn,
                                      std::uint64_t* checked) {
  if (!accept_any_next_ && m.seq == position_ + 1) return true;
  // The first message after a seek (refused, or a stop ended the look-up:
  // re-created from the same sequence), or one past other subjects' or
  // deleted messages if the leader says so (otherwise something before it
  // is still to be redelivered: a gap).
  const bool leaders =
      accept_any_next_ ? StartIsLeaders(msg, m, in_turn) : JumpIsLeaders(msg, m, in_turn);
  if (leaders) *checked = m.seq;
  return leaders;
}

bool StreamConsumer::JumpIsLeaders(natsMsg* msg, const StreamMessage& m, bool in_turn) {
  // A batch with many jumps asks no more once a stop is requested (the
  // look-up heeds it only while it waits): the rest is a gap, re-read
  // once the stop request is withdrawn, if ever.
  if (stopping()) return false;
  // A slow leader and a batch with many jumps: once the connection's
  // timeout has been spent asking in this fetch, the rest of the batch is a
  // gap (re-read from a re-created consumer, its start one request), so
  // that one fetch does not block until the ack wait passes and the server
  // redelivers what it fetched (harmless to the order, but wasteful).
  if (jump_checks_ >= connection_->timeout()) return false;
  // Asked once, not again while the answer is indefinite: a gap costs a
  // re-creation whatever the answer, and the re-created consumer's start
  // check asks again as long as needed (a leader that does not answer at
  // all costs the connection's timeout here first). The same message is
  // the same sequence and payload, as at a start. No refusal here: a batch
  // lost on the way (the usual gap) is not the consumer's fault, and the
  // re-created one's start is checked.
  const auto asked = std::chrono::steady_clock::now();
  const auto first = LeaderFirstFrom(position_ + 1);
  jump_checks_ += std::chrono::steady_clock::now() - asked;
  if (!first.ok() || !first->has_value()) return false;
  const LeaderMessage& l = **first;
  if (l.seq == m.seq && l.payload == m.payload) return true;
  // The leader holds another message first. After a delivery lost on the
  // way (the consumer sequence skipped: a fetch lost in a reconnect, its
  // messages redelivered after the ack wait) that is the usual gap, told
  // apart: the lost message is the leader's first. Delivered in turn, the
  // consumer passed over a message the leader holds (or delivered another
  // one): a replica that lacks or diverged from the leader's messages.
  // Told (the follower logs it), not refused: the re-created consumer's
  // start is checked.
  if (!in_turn) {
    stats_.lost_deliveries++;
    return false;
  }
  stats_.jump_mismatches++;
  stats_.jump_mismatch_from = position_ + 1;
  stats_.jump_mismatch_at = m.seq;
  stats_.jump_mismatch_why = NotTheDelivered(l, msg, m);
  return false;
}

bool StreamConsumer::BatchEndIsLeaders(std::vector<StreamMessage>* batch, natsMsg* last,
                                       std::uint64_t read_from) {
  // The batch's last message must be the leader's at its sequence: a
  // replica that lacks a message the leader holds (nats-server#4365)
  // delivers every later one under the sequence before its own, and one
  // that holds a message the leader lacks delivers it; each is another
  // message than the leader's there, from that point to the batch's end.
  // The batch is in order and without gaps, so a shift anywhere in it
  // shows at its end (a difference made up again within one batch would
  // not; the failures seen with nats-server#4365 never were). Checked
  // before anything in the batch is returned.
  const std::uint64_t last_seq = batch->back().seq;
  const Status same = SameAsLeaders(last_seq, last, batch->back());
  if (same.ok()) return true;
  if (same.code() != Status::Code::kAborted) Refuse(read_from, last_seq, same.message());
  batch->clear();
  position_ = read_from - 1;
  return false;
}

Status StreamConsumer::SameAsLeaders(std::uint64_t from, natsMsg* delivered,
                                     const StreamMessage& m) const {
  // The same message is the same payload (the event itself, its id
  // inside): the Nats-Msg-Id headers are read for the log only, since
  // nats.c's header parser and ours (MsgIdInHeaders) need not agree on an
  // unusual header block (an empty value, a tab), and a disagreement would
  // refuse every re-creation at that message for good. "None from there
  // on" contradicts the message at hand (the leader lacks it too, or could
  // not read): not the same either.
  //
  // An answer that is not a message (no leader at that moment, no answer,
  // or "none": a new leader that has not yet applied the last committed
  // entry says so) is asked again every 100 ms within nats.timeout before
  // it counts: a stream leader change would otherwise refuse the batch of
  // every instance reading at the stream's end. A stop request between
  // asks ends it as one during an ask does (`aborted`: no refusal).
  const auto deadline = std::chrono::steady_clock::now() + connection_->timeout();
  auto first = LeaderFirstFrom(from);
  const auto aborted = [&] {
    return !first.ok() && first.status().code() == Status::Code::kAborted;
  };
  while (!(first.ok() && first->has_value()) && !aborted() &&
         std::chrono::steady_clock::now() + kLeaderAskAgain < deadline) {
    std::this_thread::sleep_for(kLeaderAskAgain);
    if (stopping()) return Status::Aborted("stopping while the leader was asked again");
    first = LeaderFirstFrom(from);
  }
  if (aborted()) return first.status();
  if (first.ok() && first->has_value() && (*first)->seq == m.seq &&
      (*first)->payload == m.payload) {
    return Status::Ok();
  }
  if (!first.ok()) {
    return Status::Unavailable("the leader did not say: " + first.status().ToString());
  }
  if (!first->has_value()) return Status::Unavailable("the leader holds none from there on");
  return Status::Unavailable(NotTheDelivered(**first, delivered, m));
}

std::string StreamConsumer::NotTheDelivered(const LeaderMessage& l, natsMsg* delivered,
                                            const StreamMessage& m) {
  const char* id = nullptr;
  if (natsMsgHeader_Get(delivered, kMsgIdHeader.data(), &id) != NATS_OK || id == nullptr) id = "";
  const std::string not_delivered = ", not the delivered " + Named(id, m.payload.size());
  if (l.seq == m.seq) {
    return "the leader holds " + Named(l.msg_id, l.payload.size()) + " there" + not_delivered +
           " (a replica that diverged, nats-server#4174, #4365?)";
  }
  return "the leader holds seq " + std::to_string(l.seq) + " first, " +
         Named(l.msg_id, l.payload.size()) + not_delivered +
         (l.seq < m.seq ? " (a replica that lacks messages, nats-server#4174, #4365?)" : "");
}

void StreamConsumer::Refuse(std::uint64_t from, std::uint64_t at, std::string why) {
  stats_.reads_refused++;
  stats_.refused_from = from;
  stats_.refused_at = at;
  stats_.refused_why = std::move(why);
}

Result<std::optional<std::uint64_t>> StreamConsumer::FirstToDeliverFrom(std::uint64_t from) const {
  auto first = LeaderFirstFrom(from);
  if (!first.ok()) return first.status();
  if (!first->has_value()) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>((*first)->seq);
}

Result<std::optional<LeaderMessage>> StreamConsumer::LeaderFirstFrom(std::uint64_t from) const {
  return options_.leader_lookup(from);
}

Status StreamConsumer::Ack(std::uint64_t seq) {
  natsMsg* target = nullptr;
  std::size_t upto = 0;
  for (std::size_t i = 0; i < unacked_.size() && unacked_[i].first <= seq; ++i) {
    target = unacked_[i].second;
    upto = i + 1;
  }
  if (target == nullptr) return Status::Ok();
  const natsStatus s = natsMsg_Ack(target, nullptr);
  for (std::size_t i = 0; i < upto; ++i) natsMsg_Destroy(unacked_[i].second);
  unacked_.erase(unacked_.begin(), unacked_.begin() + static_cast<std::ptrdiff_t>(upto));
  // A lost acknowledgement only means a redelivery, which Fetch() drops.
  if (s != NATS_OK) return NatsError("nats: ack", s);
  return Status::Ok();
}

Result<std::uint64_t> StreamConsumer::StreamLastSeq() const {
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s =
      js_GetStreamInfo(&info, connection_->js(), options_.stream.c_str(), nullptr, &code);
  if (s != NATS_OK) return NatsError("nats: stream '" + options_.stream + "' info", s, code);
  const std::uint64_t last = info->State.LastSeq;
  jsStreamInfo_Destroy(info);
  return last;
}

std::string StreamConsumer::Describe() const {
  jsConsumerInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetConsumerInfo(&info, connection_->js(), options_.stream.c_str(),
                                          options_.durable.c_str(), nullptr, &code);
  if (s != NATS_OK) return NatsError("consumer info", s, code).ToString();
  std::string out = "delivered " + std::to_string(info->Delivered.Stream) + ", acknowledged " +
                    std::to_string(info->AckFloor.Stream) + ", ack pending " +
                    std::to_string(info->NumAckPending) + ", not delivered " +
                    std::to_string(info->NumPending) + ", waiting pulls " +
                    std::to_string(info->NumWaiting);
  if (info->Cluster != nullptr && info->Cluster->Leader != nullptr) {
    out += ", leader " + std::string(info->Cluster->Leader);
  }
  jsConsumerInfo_Destroy(info);
  return out;
}

}  // namespace riskd::connectors::nats
