#include "connectors/metrics/metrics_server.h"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <sodium.h>

namespace riskd::connectors {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::array<unsigned char, 32>> ParseSha256Hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  std::array<unsigned char, 32> out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = HexDigit(hex[2 * i]), lo = HexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return out;
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& listen,
                                                            std::vector<MetricsUser> users) {
  std::unique_ptr<MetricsServer> s(new MetricsServer());
  s->users_ = std::move(users);
  try {
    // Workers for a few connections at once, and a request must arrive
    // whole within 5 s: with one worker and civetweb's default of 30 s, one
    // client that never finished its request held up every scrape.
    s->exposer_ = std::make_unique<prometheus::Exposer>(std::vector<std::string>{
        "listening_ports", listen, "num_threads", "4", "request_timeout_ms", "5000"});
  } catch (const std::exception& e) {
    return Status::Unavailable("cannot serve metrics on '" + listen + "': " + e.what());
  }
  s->registry_ = std::make_shared<prometheus::Registry>();
  s->exposer_->RegisterCollectable(s->registry_);
  if (!s->users_.empty()) {
    if (sodium_init() < 0) return Status::Internal("libsodium cannot start");
    // Runs on the exposer's thread; users_ does not change after Start.
    s->exposer_->RegisterAuth(
        [users = &s->users_](const std::string& name, const std::string& password) {
          unsigned char digest[crypto_hash_sha256_BYTES];
          crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(password.data()),
                             password.size());
          bool ok = false;
          for (const auto& u : *users) {
            // Constant time in the password: every user's hash is compared.
            const bool same = sodium_memcmp(digest, u.password_sha256.data(), sizeof digest) == 0;
            ok |= same && u.name == name;
          }
          return ok;
        },
        "riskd metrics");
  }
  const auto ports = s->exposer_->GetListeningPorts();
  s->port_ = ports.empty() ? 0 : ports.front();
  return s;
}

MetricsServer::~MetricsServer() {
  // The exposer's HTTP threads read the registry and users_ (the
  // authentication callback): stop and join them before either goes.
  exposer_.reset();
}

void MetricsServer::SetCounter(const std::string& name, const std::string& help,
                               const Labels& labels, std::uint64_t total) {
  auto it = counters_.find({name, labels});
  if (it == counters_.end()) {
    auto*& family = counter_families_[name];
    if (!family) family = &prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
    it = counters_.emplace(std::make_pair(name, labels), CounterState{&family->Add(labels), 0})
             .first;
  }
  if (total > it->second.last) {
    it->second.counter->Increment(static_cast<double>(total - it->second.last));
    it->second.last = total;
  }
}

void MetricsServer::SetGauge(const std::string& name, const std::string& help, const Labels& labels,
                             double value) {
  auto it = gauges_.find({name, labels});
  if (it == gauges_.end()) {
    auto*& family = gauge_families_[name];
    if (!family) family = &prometheus::BuildGauge().Name(name).Help(help).Register(*registry_);
    it = gauges_.emplace(std::make_pair(name, labels), &family->Add(labels)).first;
  }
  it->second->Set(value);
}

void MetricsServer::SetHistogram(const std::string& name, const std::string& help,
                                 const std::vector<double>& bounds,
                                 const std::vector<std::uint64_t>& counts, double sum) {
  auto it = histograms_.find(name);
  if (it == histograms_.end()) {
    auto& family = prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_);
    HistogramState state{&family.Add({}, bounds), std::vector<std::uint64_t>(counts.size(), 0), 0};
    it = histograms_.emplace(name, std::move(state)).first;
  }
  HistogramState& h = it->second;
  if (counts.size() != h.last.size()) return;
  std::vector<double> increments(counts.size(), 0.0);
  bool any = false;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] > h.last[i]) {
      increments[i] = static_cast<double>(counts[i] - h.last[i]);
      any = true;
    }
  }
  if (!any) return;
  h.histogram->ObserveMultiple(increments, sum - h.last_sum);
  h.last = counts;
  h.last_sum = sum;
}

}  // namespace riskd::connectors
