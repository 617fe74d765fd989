// SeenFeedIds: the in-process de-duplication filter of a feed poller. It
// remembers the event ids already delivered (acknowledged by the daemon) so
// that a poller re-reading the same feed every minute sends only what is
// new. Bounded: past `capacity` ids the oldest are forgotten (the daemon's
// own de-duplication still answers DUPLICATE for them).
#ifndef RISKD_CONNECTORS_FEEDS_SEEN_FEED_IDS_H_
#define RISKD_CONNECTORS_FEEDS_SEEN_FEED_IDS_H_

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "riskd/v1/envelope.pb.h"

namespace riskd::connectors {

class SeenFeedIds {
 public:
  // REQUIRES: capacity >= 1. Default 100,000 ids.
  explicit SeenFeedIds(std::size_t capacity = 100000) : capacity_(capacity) {}

  bool Contains(std::string_view event_id) const { return ids_.count(std::string(event_id)) > 0; }
  // Remembers the id; false if it was already known.
  bool Insert(std::string_view event_id);
  // The envelopes whose event ids are not known yet (not remembered until
  // Insert: a poller inserts after the daemon's Ack).
  std::vector<riskd::v1::Envelope> Unseen(const std::vector<riskd::v1::Envelope>& envelopes) const;
  std::size_t size() const { return ids_.size(); }

 private:
  std::size_t capacity_;
  std::unordered_set<std::string> ids_;
  std::deque<std::string> order_;  // oldest first
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_FEEDS_SEEN_FEED_IDS_H_
