// Alertmanager client: riskd Alerts as Alertmanager API v2 "postable
// alerts" (POST /api/v2/alerts, JSON), sent over HTTP with libcurl.
//
// Mapping: labels {alertname="RiskdNodeAtRisk", risk_type, node, severity}
// identify an alert in Alertmanager; annotations carry the probability, the
// ETA, the cause path, riskd's alert id and the node's name. An open alert
// is posted with endsAt = now + `valid_for` and must be re-posted before
// then (Alertmanager's convention for firing alerts); a resolved one with
// endsAt = now.
#ifndef RISKD_CONNECTORS_ALERTMANAGER_ALERTMANAGER_CLIENT_H_
#define RISKD_CONNECTORS_ALERTMANAGER_ALERTMANAGER_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/status.h"
#include "riskd/v1/outputs.pb.h"

namespace riskd::connectors {

struct PostableAlert {
  riskd::v1::Alert alert;
  // Post as resolved (endsAt = now) whatever the alert's lifecycle says;
  // used to close an old label set when an alert's severity changed.
  bool resolved = false;
};

// RFC 3339 UTC time with milliseconds, e.g. "2026-11-23T07:10:11.123Z".
std::string Rfc3339(std::int64_t unix_ns);

// The JSON array for POST /api/v2/alerts.
std::string ToAlertmanagerJson(const std::vector<PostableAlert>& alerts, std::int64_t now_unix_ns,
                               std::chrono::seconds valid_for, const std::string& generator_url);

class AlertmanagerClient {
 public:
  struct Options {
    // Base URL, e.g. "http://127.0.0.1:9093". Required.
    std::string url;
    // Whole-request timeout. Default 5 s.
    std::chrono::milliseconds timeout{5000};
  };
  explicit AlertmanagerClient(Options options) : options_(std::move(options)) {}

  // POSTs the body to <url>/api/v2/alerts; Unavailable on transport errors
  // and on HTTP statuses other than 200.
  Status Post(const std::string& json) const;

 private:
  Options options_;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_ALERTMANAGER_ALERTMANAGER_CLIENT_H_
