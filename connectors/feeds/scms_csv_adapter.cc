#include "connectors/feeds/scms_csv_adapter.h"

#include <cmath>

#include "connectors/csv/csv_reader.h"
#include "connectors/feeds/feed_registry.h"
#include "connectors/feeds/feed_time.h"

namespace riskd::connectors {
namespace {

constexpr std::string_view kId = "ID";
constexpr std::string_view kVendor = "Vendor";
constexpr std::string_view kScheduled = "Scheduled Delivery Date";
constexpr std::string_view kDelivered = "Delivered to Client Date";

}  // namespace

std::string VendorNodeId(std::string_view vendor) {
  std::string id = "vendor-";
  bool dash = false;
  for (char c : vendor) {
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9')) {
      if (dash && id.back() != '-') id += '-';
      id += lower;
      dash = false;
    } else {
      dash = true;
    }
  }
  return id;
}

Result<std::map<std::string, std::string>> LoadVendorNodeMap(const std::string& path) {
  auto csv = CsvReader::FromFile(path);
  if (!csv.ok()) return csv.status();
  std::vector<std::string> rec;
  if (!csv->Next(&rec)) return Status::InvalidArgument(path + ": no header row");
  const CsvHeader header(rec);
  if (!header.Find("vendor") || !header.Find("node_id")) {
    return Status::InvalidArgument(path + ": needs columns vendor,node_id");
  }
  std::map<std::string, std::string> map;
  while (csv->Next(&rec)) {
    const std::string vendor(Trim(header.Get(rec, "vendor")));
    const std::string node(Trim(header.Get(rec, "node_id")));
    if (vendor.empty() || node.empty()) {
      return Status::InvalidArgument(path + ":" + std::to_string(csv->line()) +
                                     ": vendor and node_id are required");
    }
    map[vendor] = node;
  }
  RISKD_RETURN_IF_ERROR(csv->status().WithContext(path));
  return map;
}

Result<FeedBatch> ScmsCsvAdapter::Parse(std::string_view document) const {
  CsvReader csv{std::string(document)};
  std::vector<std::string> rec;
  if (!csv.Next(&rec)) return Status::InvalidArgument("scms_csv: no header row");
  const CsvHeader header(rec);
  for (auto column : {kId, kVendor, kScheduled, kDelivered}) {
    if (!header.Find(column)) {
      return Status::InvalidArgument("scms_csv: missing column '" + std::string(column) + "'");
    }
  }
  FeedBatchBuilder out(options_.source);
  for (std::size_t i = 0; csv.Next(&rec); ++i) {
    out.CountEntry();
    const std::string id(Trim(header.Get(rec, kId)));
    const std::string vendor(Trim(header.Get(rec, kVendor)));
    if (id.empty() || vendor.empty()) {
      out.Reject(i, id, "line " + std::to_string(csv.line()) + ": missing ID or Vendor");
      continue;
    }
    const auto scheduled = ParseDayMonthYear(header.Get(rec, kScheduled));
    const auto delivered_text = Trim(header.Get(rec, kDelivered));
    const auto delivered = ParseDayMonthYear(delivered_text);
    if (!scheduled || (!delivered && !delivered_text.empty())) {
      out.Reject(i, id, "unreadable scheduled or delivered date");
      continue;
    }
    // Lateness as known at `now` (or at the end of the record).
    std::optional<std::int64_t> late_until;
    if (options_.now) {
      const std::int64_t now = *options_.now;
      if (*scheduled >= now) continue;  // not due yet
      if (!delivered || *delivered > now) {
        late_until = now;  // overdue
      } else if (*delivered > *scheduled &&
                 *delivered >= now - options_.lookback_days * kSecondsPerDay) {
        late_until = *delivered;
      }
    } else if (!delivered) {
      out.Reject(i, id, "no delivered date and no 'now' to measure against");
      continue;
    } else if (*delivered > *scheduled) {
      late_until = *delivered;
    }
    if (!late_until) continue;
    const double days_late = static_cast<double>(*late_until - *scheduled) / kSecondsPerDay;
    auto mapped = options_.vendor_nodes.find(vendor);
    riskd::v1::Envelope env;
    env.set_event_id("scms:" + id);
    SetTimestampSeconds(*late_until, env.mutable_occurred_at());
    auto* s = env.mutable_supplier_status();
    s->set_node_id(mapped != options_.vendor_nodes.end() ? mapped->second : VendorNodeId(vendor));
    s->set_risk_type(options_.risk_type);
    s->set_state(riskd::v1::NODE_STATE_DISRUPTED);
    s->set_severity(1.0 - std::exp(-days_late / options_.days_scale));
    s->set_detail("shipment " + id + " " + std::to_string(static_cast<long long>(days_late)) +
                  " days late (scheduled " + FormatDate(*scheduled) + ", " +
                  (delivered && *delivered <= *late_until ? "delivered " + FormatDate(*delivered)
                                                          : std::string("not delivered")) +
                  ") by " + std::string(header.Get(rec, "Shipment Mode")) + " to " +
                  std::string(header.Get(rec, "Country")));
    out.Add(i, std::move(env));
  }
  RISKD_RETURN_IF_ERROR(csv.status().WithContext("scms_csv"));
  return std::move(out).Finish();
}

namespace {

// FeedConfig -> Options: the scms_csv settings, or the older top-level
// risk_type and vendor_nodes (not both).
Result<std::unique_ptr<FeedAdapter>> MakeScmsCsvAdapter(const riskd::v1::FeedConfig& config,
                                                        const std::string& source) {
  const bool top_level = !config.risk_type().empty() || !config.vendor_nodes().empty();
  if (top_level && config.has_scms_csv()) {
    return Status::InvalidArgument(
        "risk_type, vendor_nodes: set them inside scms_csv { }, not beside it");
  }
  const riskd::v1::ScmsCsvFeed& settings = config.scms_csv();  // defaults if unset
  ScmsCsvAdapter::Options options;
  options.source = source;
  const std::string& risk_type = top_level ? config.risk_type() : settings.risk_type();
  if (!risk_type.empty()) options.risk_type = risk_type;
  for (const auto& [vendor, node] : top_level ? config.vendor_nodes() : settings.vendor_nodes()) {
    options.vendor_nodes[vendor] = node;
  }
  if (!settings.as_of().empty()) {
    const auto now = ParseIso8601(settings.as_of());
    if (!now) return Status::InvalidArgument("scms_csv.as_of: must be an ISO 8601 date or time");
    options.now = *now;
  }
  if (settings.has_lookback_days()) {
    if (settings.lookback_days() < 0 || settings.lookback_days() > 100000) {
      return Status::InvalidArgument("scms_csv.lookback_days: must be 0..100000");
    }
    options.lookback_days = settings.lookback_days();
  }
  return std::unique_ptr<FeedAdapter>(new ScmsCsvAdapter(std::move(options)));
}

}  // namespace

RISKD_REGISTER_FEED_ADAPTER(scms_csv,
                            {"scms_csv", riskd::v1::FeedConfig::kScmsCsv, &MakeScmsCsvAdapter});

}  // namespace riskd::connectors
