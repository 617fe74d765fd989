#include "connectors/alertmanager/alertmanager_client.h"

#include <curl/curl.h>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "connectors/codec/output_codec.h"

namespace riskd::connectors {
namespace {

std::size_t Discard(char*, std::size_t size, std::size_t n, void*) { return size * n; }

}  // namespace

std::string Rfc3339(std::int64_t unix_ns) {
  const std::time_t secs = static_cast<std::time_t>(unix_ns / 1000000000);
  const int millis = static_cast<int>((unix_ns / 1000000) % 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // room for any int the format could print
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

namespace {

std::string Number(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

// "PLAN-ID: title" per plan, and every action's description.
void AddPlans(const google::protobuf::RepeatedPtrField<riskd::v1::EmergencyPlan>& plans,
              nlohmann::json* annotations) {
  std::string ids, actions;
  for (const auto& p : plans) {
    ids += (ids.empty() ? "" : "; ") + p.plan_id() + ": " + p.title();
    for (const auto& a : p.actions()) actions += (actions.empty() ? "" : "; ") + a.description();
  }
  if (ids.empty()) return;
  (*annotations)["plan"] = ids;
  (*annotations)["plan_actions"] = actions;
}

std::int64_t UnixNs(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000000 + t.nanos();
}

nlohmann::json AlertJson(const riskd::v1::Alert& a) {
  std::string path;
  for (int i = 0; i < a.cause_size(); ++i) {
    const auto& step = a.cause(i);
    path += (i ? " > " : "") + step.node_id();
    if (i > 0) path += " (" + Number(step.share()) + ")";
  }
  if (path.empty()) {
    for (const auto& n : a.cause_path()) path += (path.empty() ? "" : " > ") + n;
  }
  std::string events;
  for (const auto& e : a.trigger_event_ids()) events += (events.empty() ? "" : ", ") + e;
  nlohmann::json labels = {{"alertname", "RiskdNodeAtRisk"},
                           {"risk_type", a.risk_type()},
                           {"node", a.node_id()},
                           {"severity", LevelWord(a.severity())}};
  if (!a.incident_id().empty()) labels["incident"] = a.incident_id();
  nlohmann::json annotations = {
      {"summary", a.node_name() + ": P(disrupted within " + std::to_string(a.horizon_steps()) +
                      " steps) = " + std::to_string(a.probability())},
      {"node_name", a.node_name()},
      {"probability", std::to_string(a.probability())},
      {"eta_steps", std::to_string(a.eta_steps())},
      {"value_at_risk", Number(a.value_at_risk())},
      {"cause_path", path},
      {"riskd_alert_id", a.alert_id()}};
  if (!events.empty()) annotations["trigger_events"] = events;
  if (a.has_plan()) {
    google::protobuf::RepeatedPtrField<riskd::v1::EmergencyPlan> one;
    *one.Add() = a.plan();
    AddPlans(one, &annotations);
  }
  return {{"labels", labels}, {"annotations", annotations}};
}

nlohmann::json IncidentJson(const riskd::v1::Incident& i) {
  std::string lifecycle = riskd::v1::Incident::Lifecycle_Name(i.lifecycle());
  lifecycle = lifecycle.substr(lifecycle.find('_') + 1);
  for (char& c : lifecycle) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string top;
  for (const auto& n : i.top_nodes()) {
    top += (top.empty() ? "" : ", ") + n.node_id() + " " + Number(n.probability());
  }
  std::string sources;
  for (const auto& s : i.source_ids()) sources += (sources.empty() ? "" : ", ") + s;
  nlohmann::json annotations = {
      {"summary", i.title()},
      {"description", lifecycle + ": " + std::to_string(i.sources_disrupted()) + " of " +
                          std::to_string(i.sources_hit()) + " site(s) disrupted, expected " +
                          Number(i.expected_disrupted()) + " node(s) disrupted within " +
                          std::to_string(i.horizon_steps()) + " steps, value at risk " +
                          Number(i.value_at_risk())},
      {"lifecycle", lifecycle},
      {"hazard", riskd::v1::Hazard_Name(i.hazard())},
      {"sources", sources},
      {"expected_disrupted", Number(i.expected_disrupted())},
      {"value_at_risk", Number(i.value_at_risk())},
      {"top_nodes", top},
      {"riskd_incident_id", i.incident_id()}};
  AddPlans(i.plans(), &annotations);
  if (!i.operator_state().assignee().empty())
    annotations["assignee"] = i.operator_state().assignee();
  if (i.operator_state().acknowledged()) {
    annotations["acknowledged_by"] = i.operator_state().acknowledged_by();
  }
  return {{"labels",
           {{"alertname", "RiskdIncident"},
            {"risk_type", i.risk_type()},
            {"incident", i.incident_id()},
            {"severity", LevelWord(i.level())}}},
          {"annotations", annotations}};
}

}  // namespace

bool IncidentIsOver(const riskd::v1::Incident& incident) {
  return incident.lifecycle() == riskd::v1::Incident::LIFECYCLE_RESTORED ||
         incident.lifecycle() == riskd::v1::Incident::LIFECYCLE_CLOSED;
}

std::string ToAlertmanagerJson(const std::vector<PostableAlert>& alerts, std::int64_t now_unix_ns,
                               std::chrono::seconds valid_for, const std::string& generator_url) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : alerts) {
    nlohmann::json j;
    bool resolved = p.resolved;
    std::int64_t started = 0;
    if (p.incident) {
      j = IncidentJson(*p.incident);
      resolved = resolved || IncidentIsOver(*p.incident);
      started = UnixNs(p.incident->opened_at());
    } else {
      j = AlertJson(p.alert);
      resolved = resolved || p.alert.lifecycle() == riskd::v1::Alert::LIFECYCLE_RESOLVED;
      started = UnixNs(p.alert.computed_at());
    }
    j["startsAt"] = Rfc3339(started > 0 ? started : now_unix_ns);
    j["endsAt"] =
        Rfc3339(resolved ? now_unix_ns : now_unix_ns + std::chrono::nanoseconds(valid_for).count());
    if (!generator_url.empty()) j["generatorURL"] = generator_url;
    out.push_back(std::move(j));
  }
  return out.dump();
}

Status AlertmanagerClient::Post(const std::string& json) const {
  CURL* curl = curl_easy_init();
  if (!curl) return Status::Internal("curl_easy_init failed");
  const std::string url = options_.url + "/api/v2/alerts";
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(json.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Discard);
  const CURLcode rc = curl_easy_perform(curl);
  long http = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    return Status::Unavailable("alertmanager " + url + ": " + curl_easy_strerror(rc));
  }
  if (http != 200) {
    return Status::Unavailable("alertmanager " + url + ": HTTP " + std::to_string(http));
  }
  return Status::Ok();
}

}  // namespace riskd::connectors
