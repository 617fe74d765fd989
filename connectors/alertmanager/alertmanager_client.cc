#include "connectors/alertmanager/alertmanager_client.h"

#include <curl/curl.h>

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace riskd::connectors {
namespace {

std::string SeverityLabel(riskd::v1::Severity s) {
  switch (s) {
    case riskd::v1::SEVERITY_CRITICAL: return "critical";
    case riskd::v1::SEVERITY_WARNING: return "warning";
    default: return "info";
  }
}

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

std::string ToAlertmanagerJson(const std::vector<PostableAlert>& alerts, std::int64_t now_unix_ns,
                               std::chrono::seconds valid_for, const std::string& generator_url) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : alerts) {
    const auto& a = p.alert;
    const bool resolved = p.resolved || a.lifecycle() == riskd::v1::Alert::LIFECYCLE_RESOLVED;
    std::string path;
    for (const auto& n : a.cause_path()) path += (path.empty() ? "" : " > ") + n;
    const std::int64_t started = a.computed_at().seconds() * 1000000000 + a.computed_at().nanos();
    nlohmann::json j = {
        {"labels",
         {{"alertname", "RiskdNodeAtRisk"},
          {"risk_type", a.risk_type()},
          {"node", a.node_id()},
          {"severity", SeverityLabel(a.severity())}}},
        {"annotations",
         {{"summary", a.node_name() + ": P(disrupted within " + std::to_string(a.horizon_steps()) +
                          " steps) = " + std::to_string(a.probability())},
          {"probability", std::to_string(a.probability())},
          {"eta_steps", std::to_string(a.eta_steps())},
          {"cause_path", path},
          {"riskd_alert_id", a.alert_id()}}},
        {"startsAt", Rfc3339(started > 0 ? started : now_unix_ns)},
        {"endsAt", Rfc3339(resolved ? now_unix_ns
                                    : now_unix_ns + std::chrono::nanoseconds(valid_for).count())},
    };
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
