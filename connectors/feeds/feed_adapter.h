// FeedAdapter: turns one document of a public alerting feed (USGS GeoJSON,
// GDACS RSS, NWS CAP Atom, SCMS shipment CSV) into riskd Envelopes:
// Disruptions located by place, or SupplierStatus reports for named nodes.
//
// Adapters are pure functions of the document and their Options (no clocks,
// no I/O), so the same bytes always give the same Envelopes. Every Envelope's
// event_id is derived from the feed's own id ("usgs:usc000ny83"), so reading
// the same feed again is answered DUPLICATE by the daemon and a sender may
// retry freely. A document that cannot be read at all is an error; a bad
// entry inside a readable document is rejected with a reason and the others
// are kept. Entries that are well formed but not events riskd acts on (a test
// message, a zone-only weather alert) are skipped with a reason, and so is an
// entry repeating an earlier event id of the same document.
#ifndef RISKD_CONNECTORS_FEEDS_FEED_ADAPTER_H_
#define RISKD_CONNECTORS_FEEDS_FEED_ADAPTER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "riskd/v1/envelope.pb.h"

namespace riskd::connectors {

// One entry that produced no Envelope, and why.
struct FeedIssue {
  std::size_t index = 0;  // 0-based position of the entry in the document
  std::string feed_id;    // the feed's own id, when it could be read
  std::string reason;
};

struct FeedBatch {
  std::size_t entries = 0;  // entries seen in the document
  std::vector<riskd::v1::Envelope> envelopes;
  std::vector<std::size_t> envelope_index;  // entry index of each envelope
  std::vector<FeedIssue> rejected;          // malformed entries
  std::vector<FeedIssue> skipped;           // well formed, not acted on
};

class FeedAdapter {
 public:
  virtual ~FeedAdapter() = default;
  // Factory name, e.g. "usgs_geojson".
  virtual std::string_view name() const = 0;
  // InvalidArgument if the document as a whole cannot be read.
  virtual Result<FeedBatch> Parse(std::string_view document) const = 0;
};

// Collects an adapter's output: makes the feed's text what ingest accepts
// (SanitizeFeedText: control characters become spaces in the event id,
// feed_event_id, title and detail, and a title or detail is cut to its
// bound, so no event is lost over its text), skips repeated event ids,
// enforces the 1..256-byte event id rule, stamps `source` (sanitized too).
class FeedBatchBuilder {
 public:
  explicit FeedBatchBuilder(std::string source);
  // Adds the envelope of entry `index` (its event_id set by the caller).
  void Add(std::size_t index, riskd::v1::Envelope envelope);
  void Reject(std::size_t index, std::string feed_id, std::string reason);
  void Skip(std::size_t index, std::string feed_id, std::string reason);
  // Counts an entry seen; call once per entry.
  void CountEntry() { ++batch_.entries; }
  FeedBatch Finish() && { return std::move(batch_); }

 private:
  std::string source_;
  FeedBatch batch_;
  std::unordered_map<std::string, std::size_t> first_index_;  // event id -> entry
};

// Unix seconds or milliseconds -> Timestamp.
void SetTimestampSeconds(std::int64_t unix_seconds, google::protobuf::Timestamp* out);
void SetTimestampMillis(std::int64_t unix_millis, google::protobuf::Timestamp* out);

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_FEEDS_FEED_ADAPTER_H_
