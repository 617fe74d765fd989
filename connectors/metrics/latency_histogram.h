// LatencyHistogram: counts of durations in fixed buckets, updated with
// relaxed atomics by the thread that measures (one writer) and read by the
// thread that mirrors them into the metrics endpoint
// (MetricsServer::SetHistogram). Buckets are upper bounds in seconds, from
// 50 us to 10 s, as a Prometheus histogram's `le` labels.
#ifndef RISKD_CONNECTORS_METRICS_LATENCY_HISTOGRAM_H_
#define RISKD_CONNECTORS_METRICS_LATENCY_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

namespace riskd::connectors {

class LatencyHistogram {
 public:
  static constexpr std::array<double, 16> kBounds{
      5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5, 10};

  void Observe(double seconds) {
    std::size_t b = 0;
    while (b < kBounds.size() && seconds > kBounds[b]) ++b;
    counts_[b].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<std::uint64_t>(seconds * 1e9), std::memory_order_relaxed);
  }
  // Per bucket (the last one: above every bound), not cumulative.
  std::vector<std::uint64_t> Counts() const {
    std::vector<std::uint64_t> out(counts_.size());
    for (std::size_t i = 0; i < counts_.size(); ++i)
      out[i] = counts_[i].load(std::memory_order_relaxed);
    return out;
  }
  double SumSeconds() const {
    return static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) * 1e-9;
  }

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> counts_{};
  std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_METRICS_LATENCY_HISTOGRAM_H_
