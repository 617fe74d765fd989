// MetricsServer: the daemon's metrics in the Prometheus text format, served
// over HTTP on a loopback address (prometheus-cpp's civetweb exposer), at
// /metrics. The daemon mirrors its internal counters into it periodically:
// SetCounter() takes the current total of a monotonic count, SetGauge() a
// current value.
#ifndef RISKD_CONNECTORS_METRICS_METRICS_SERVER_H_
#define RISKD_CONNECTORS_METRICS_METRICS_SERVER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "engine/status.h"

namespace prometheus {
class Counter;
class Exposer;
class Gauge;
class Registry;
}  // namespace prometheus

namespace riskd::connectors {

class MetricsServer {
 public:
  // Listens on "host:port" (port 0: any free port).
  static Result<std::unique_ptr<MetricsServer>> Start(const std::string& listen);
  ~MetricsServer();

  // The port actually bound.
  int port() const { return port_; }

  // Names follow Prometheus conventions (riskd_*_total for counters).
  void SetCounter(const std::string& name, const std::string& help, std::uint64_t total);
  void SetGauge(const std::string& name, const std::string& help, double value);

 private:
  MetricsServer() = default;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<prometheus::Registry> registry_;
  struct CounterState {
    prometheus::Counter* counter;
    std::uint64_t last;
  };
  std::map<std::string, CounterState> counters_;
  std::map<std::string, prometheus::Gauge*> gauges_;
  int port_ = 0;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_METRICS_METRICS_SERVER_H_
