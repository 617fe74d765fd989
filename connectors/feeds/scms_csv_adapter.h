// USAID SCMS delivery history (SCMS_Delivery_History_Dataset_*.csv): one
// row per shipment line with Scheduled Delivery Date and Delivered to Client
// Date (dd-Mon-yy).
//
// A late shipment becomes a SupplierStatus for its vendor's node:
// NODE_STATE_DISRUPTED on risk type Options::risk_type ("logistics"), with
// severity 1 - exp(-days_late / Options::days_scale), event_id "scms:<ID>".
// Shipments on time produce nothing. The vendor's node id is
// Options::vendor_nodes[vendor] if listed, else VendorNodeId(vendor).
//
// Time: as of Options::now (Unix seconds) when set, a shipment is late if it
// was delivered after its scheduled date within the last lookback_days, or
// if it is still undelivered past its scheduled date (overdue: days late
// counted to now); rows delivered after `now` are not known yet. Without
// `now` the whole history is replayed. Rows without an ID, a vendor or
// readable dates are rejected.
#ifndef RISKD_CONNECTORS_FEEDS_SCMS_CSV_ADAPTER_H_
#define RISKD_CONNECTORS_FEEDS_SCMS_CSV_ADAPTER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "connectors/feeds/feed_adapter.h"

namespace riskd::connectors {

class ScmsCsvAdapter : public FeedAdapter {
 public:
  struct Options {
    // Envelope.source. Default "scms_csv".
    std::string source = "scms_csv";
    // Risk type of the statuses; must be configured in the daemon.
    // Default "logistics".
    std::string risk_type = "logistics";
    // Days late at which severity reaches 1 - 1/e (0.63). Default 14.
    double days_scale = 14;
    // As-of time; nullopt replays the whole file. Default nullopt.
    std::optional<std::int64_t> now;
    // With `now`: how far back delivered-late shipments count. Default 30.
    int lookback_days = 30;
    // Vendor name (as in the file) -> node id.
    std::map<std::string, std::string> vendor_nodes;
  };

  ScmsCsvAdapter() : ScmsCsvAdapter(Options()) {}
  explicit ScmsCsvAdapter(Options options) : options_(std::move(options)) {}
  std::string_view name() const override { return "scms_csv"; }
  Result<FeedBatch> Parse(std::string_view document) const override;

 private:
  Options options_;
};

// "vendor-" + the name in lower case with each run of other characters than
// a-z and 0-9 replaced by one '-', trimmed: "Orgenics, Ltd" ->
// "vendor-orgenics-ltd".
std::string VendorNodeId(std::string_view vendor);

// Reads a vendor map CSV with columns vendor,node_id.
Result<std::map<std::string, std::string>> LoadVendorNodeMap(const std::string& path);

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_FEEDS_SCMS_CSV_ADAPTER_H_
