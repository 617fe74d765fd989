// MetricsServer: the daemon's metrics in the Prometheus text format, served
// over HTTP (prometheus-cpp's civetweb exposer) at /metrics, optionally
// behind HTTP basic authentication. The daemon mirrors its internal
// counters into it periodically: SetCounter() takes the current total of a
// monotonic count, SetGauge() a current value, SetHistogram() the current
// bucket counts of a histogram, each optionally with labels (never node
// ids: one series per label set), e.g. "riskd_security_refusals_total"
// with {{"reason", "unknown_key"}}.
//
// Thread-safety: Set*() from one thread (the daemon's socket thread); the
// exposer's own thread serves scrapes and checks credentials.
#ifndef RISKD_CONNECTORS_METRICS_METRICS_SERVER_H_
#define RISKD_CONNECTORS_METRICS_METRICS_SERVER_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace prometheus {
class Counter;
class Exposer;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace riskd::connectors {

// A user allowed to scrape (config metrics.users): only the SHA-256 of the
// password is kept.
struct MetricsUser {
  std::string name;
  std::array<unsigned char, 32> password_sha256{};
};

// 64 hex digits (either case) -> 32 bytes; nullopt otherwise.
std::optional<std::array<unsigned char, 32>> ParseSha256Hex(std::string_view hex);

class MetricsServer {
 public:
  // Listens on "host:port" (port 0: any free port). With `users`, every
  // request needs HTTP basic authentication as one of them (401 otherwise).
  static Result<std::unique_ptr<MetricsServer>> Start(const std::string& listen,
                                                      std::vector<MetricsUser> users = {});
  ~MetricsServer();

  // The port actually bound.
  int port() const { return port_; }

  using Labels = std::map<std::string, std::string>;

  // Names follow Prometheus conventions (riskd_*_total for counters).
  void SetCounter(const std::string& name, const std::string& help, std::uint64_t total) {
    SetCounter(name, help, {}, total);
  }
  void SetCounter(const std::string& name, const std::string& help, const Labels& labels,
                  std::uint64_t total);
  void SetGauge(const std::string& name, const std::string& help, double value) {
    SetGauge(name, help, {}, value);
  }
  void SetGauge(const std::string& name, const std::string& help, const Labels& labels,
                double value);
  // `counts`: per bucket of `bounds` (upper bounds, seconds) and one more
  // for above them all, not cumulative, totals so far; `sum`: of every
  // observation so far. The name's bounds are fixed by its first call.
  void SetHistogram(const std::string& name, const std::string& help,
                    const std::vector<double>& bounds, const std::vector<std::uint64_t>& counts,
                    double sum);

 private:
  MetricsServer() = default;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<MetricsUser> users_;
  struct CounterState {
    prometheus::Counter* counter;
    std::uint64_t last;
  };
  struct HistogramState {
    prometheus::Histogram* histogram;
    std::vector<std::uint64_t> last;
    double last_sum = 0;
  };
  // Families by name; series by name and label set.
  std::map<std::string, prometheus::Family<prometheus::Counter>*> counter_families_;
  std::map<std::string, prometheus::Family<prometheus::Gauge>*> gauge_families_;
  std::map<std::pair<std::string, Labels>, CounterState> counters_;
  std::map<std::pair<std::string, Labels>, prometheus::Gauge*> gauges_;
  std::map<std::string, HistogramState> histograms_;
  int port_ = 0;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_METRICS_METRICS_SERVER_H_
