// Alertmanager client: riskd Alerts and Incidents as Alertmanager API v2
// "postable alerts" (POST /api/v2/alerts, JSON), sent over HTTP with
// libcurl.
//
// Mapping (docs/configuration.md, "Alertmanager"):
// - a node alert: labels {alertname="RiskdNodeAtRisk", risk_type, node,
//   severity, incident}, so Alertmanager can group by incident; annotations
//   summary, node_name, probability, eta_steps, value_at_risk, cause_path
//   (names and shares), trigger_events, plan, plan_actions, riskd_alert_id;
// - an incident: labels {alertname="RiskdIncident", risk_type, incident,
//   severity}; annotations summary (its title), description, lifecycle,
//   hazard, sources, expected_disrupted, value_at_risk, top_nodes, plan,
//   plan_actions, assignee, acknowledged_by, riskd_incident_id.
// An open alert is posted with endsAt = now + `valid_for` and must be
// re-posted before then (Alertmanager's convention for firing alerts); a
// resolved one, and a restored or closed incident, with endsAt = now.
#ifndef RISKD_CONNECTORS_ALERTMANAGER_ALERTMANAGER_CLIENT_H_
#define RISKD_CONNECTORS_ALERTMANAGER_ALERTMANAGER_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "riskd/v1/outputs.pb.h"

namespace riskd::connectors {

struct PostableAlert {
  riskd::v1::Alert alert;
  // Post as resolved (endsAt = now) whatever the alert's lifecycle says;
  // used to close an old label set when an alert's level changed.
  bool resolved = false;
  // When set, this is the incident (and `alert` is unused).
  std::optional<riskd::v1::Incident> incident = std::nullopt;
};

// RFC 3339 UTC time with milliseconds, e.g. "2026-11-23T07:10:11.123Z".
std::string Rfc3339(std::int64_t unix_ns);

// A restored or closed incident: posted resolved, its alerts with it.
bool IncidentIsOver(const riskd::v1::Incident& incident);

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
