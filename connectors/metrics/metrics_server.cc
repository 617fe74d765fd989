#include "connectors/metrics/metrics_server.h"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace riskd::connectors {

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& listen) {
  std::unique_ptr<MetricsServer> s(new MetricsServer());
  try {
    s->exposer_ = std::make_unique<prometheus::Exposer>(listen, /*num_threads=*/1);
  } catch (const std::exception& e) {
    return Status::Unavailable("cannot serve metrics on '" + listen + "': " + e.what());
  }
  s->registry_ = std::make_shared<prometheus::Registry>();
  s->exposer_->RegisterCollectable(s->registry_);
  const auto ports = s->exposer_->GetListeningPorts();
  s->port_ = ports.empty() ? 0 : ports.front();
  return s;
}

MetricsServer::~MetricsServer() = default;

void MetricsServer::SetCounter(const std::string& name, const std::string& help,
                               std::uint64_t total) {
  auto it = counters_.find(name);
  if (it == counters_.end()) {
    auto& family = prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
    it = counters_.emplace(name, CounterState{&family.Add({}), 0}).first;
  }
  if (total > it->second.last) {
    it->second.counter->Increment(static_cast<double>(total - it->second.last));
    it->second.last = total;
  }
}

void MetricsServer::SetGauge(const std::string& name, const std::string& help, double value) {
  auto it = gauges_.find(name);
  if (it == gauges_.end()) {
    auto& family = prometheus::BuildGauge().Name(name).Help(help).Register(*registry_);
    it = gauges_.emplace(name, &family.Add({})).first;
  }
  it->second->Set(value);
}

}  // namespace riskd::connectors
