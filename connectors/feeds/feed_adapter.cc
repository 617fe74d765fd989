#include "connectors/feeds/feed_adapter.h"

#include "connectors/codec/event_codec.h"

namespace riskd::connectors {

namespace {
constexpr std::size_t kMaxEventIdBytes = 256;

// ValidateEnvelope without the daemon's references: every node is unknown
// (not_found is fine) and every risk type the envelope names is known.
Status ValidateShape(const riskd::v1::Envelope& envelope) {
  RiskTypeResolver types;
  types.default_risk_type = "default";
  types.names = {types.default_risk_type};
  if (envelope.has_supplier_status()) types.names.insert(envelope.supplier_status().risk_type());
  if (envelope.has_disruption()) types.names.insert(envelope.disruption().risk_type());
  const Status st = ValidateEnvelope(envelope, NodeDirectory(), types);
  return st.code() == Status::Code::kNotFound ? Status::Ok() : st;
}

// A feed's text is not the feed's event: a control character in a quake's
// title (or in its id) is made a space rather than have ingest refuse the
// whole event, and a title or detail longer than ingest allows is cut.
// Ids are not cut (two ids could become one): an id too long is refused.
void SanitizeTexts(riskd::v1::Envelope& envelope) {
  const auto clean = [](std::string* text, std::size_t max_bytes) {
    *text = SanitizeFeedText(*text, max_bytes);
  };
  clean(envelope.mutable_event_id(), envelope.event_id().size());
  if (envelope.has_disruption()) {
    auto* d = envelope.mutable_disruption();
    clean(d->mutable_title(), kMaxTitleBytes);
    clean(d->mutable_feed_event_id(), d->feed_event_id().size());
  }
  if (envelope.has_supplier_status()) {
    clean(envelope.mutable_supplier_status()->mutable_detail(), kMaxDetailBytes);
  }
}

}  // namespace

FeedBatchBuilder::FeedBatchBuilder(std::string source)
    : source_(SanitizeFeedText(source, kMaxSourceBytes)) {}

void FeedBatchBuilder::Add(std::size_t index, riskd::v1::Envelope envelope) {
  SanitizeTexts(envelope);
  const std::string& id = envelope.event_id();
  std::string feed_id = envelope.has_disruption() ? envelope.disruption().feed_event_id() : id;
  if (id.empty() || id.size() > kMaxEventIdBytes) {
    Reject(index, std::move(feed_id), "event id must be 1..256 bytes");
    return;
  }
  // What ingest would refuse whatever its network and risk types (an id of
  // 300 bytes, a date before 1970) is this entry's fault: reject it here with
  // ingest's own reason. Unknown nodes and risk types depend on the daemon
  // and are left to it (not_found / invalid_argument in the Ack).
  if (const Status valid = ValidateShape(envelope); !valid.ok()) {
    Reject(index, std::move(feed_id), valid.ToString());
    return;
  }
  auto [it, inserted] = first_index_.emplace(id, index);
  if (!inserted) {
    Skip(index, std::move(feed_id),
         "repeats event " + id + " of entry " + std::to_string(it->second));
    return;
  }
  envelope.set_source(source_);
  batch_.envelopes.push_back(std::move(envelope));
  batch_.envelope_index.push_back(index);
}

void FeedBatchBuilder::Reject(std::size_t index, std::string feed_id, std::string reason) {
  batch_.rejected.push_back({index, std::move(feed_id), std::move(reason)});
}

void FeedBatchBuilder::Skip(std::size_t index, std::string feed_id, std::string reason) {
  batch_.skipped.push_back({index, std::move(feed_id), std::move(reason)});
}

void SetTimestampSeconds(std::int64_t unix_seconds, google::protobuf::Timestamp* out) {
  out->set_seconds(unix_seconds);
  out->set_nanos(0);
}

void SetTimestampMillis(std::int64_t unix_millis, google::protobuf::Timestamp* out) {
  std::int64_t seconds = unix_millis / 1000, millis = unix_millis % 1000;
  if (millis < 0) {
    --seconds;
    millis += 1000;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<std::int32_t>(millis * 1000000));
}

}  // namespace riskd::connectors
