// JsonLine: one benchmark result as a single JSON object on stdout,
// {"bench": ..., "metric": ..., "value": ..., "unit": ..., <parameters>},
// the format bench/run_all collects (bench/README.md).
#ifndef RISKD_BENCH_COMMON_JSON_LINE_H_
#define RISKD_BENCH_COMMON_JSON_LINE_H_

#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>

namespace riskd::bench {

class JsonLine {
 public:
  JsonLine(const std::string& bench, const std::string& metric, double value,
           const std::string& unit) {
    out_ << "{\"bench\":" << Quote(bench) << ",\"metric\":" << Quote(metric)
         << ",\"value\":" << Number(value) << ",\"unit\":" << Quote(unit);
  }
  JsonLine& Param(const std::string& key, const std::string& value) {
    out_ << "," << Quote(key) << ":" << Quote(value);
    return *this;
  }
  JsonLine& Param(const std::string& key, const char* value) {
    return Param(key, std::string(value));
  }
  JsonLine& Param(const std::string& key, double value) {
    out_ << "," << Quote(key) << ":" << Number(value);
    return *this;
  }
  JsonLine& Param(const std::string& key, long long value) {
    out_ << "," << Quote(key) << ":" << value;
    return *this;
  }
  JsonLine& Param(const std::string& key, int value) {
    return Param(key, static_cast<long long>(value));
  }
  JsonLine& Param(const std::string& key, bool value) {
    out_ << "," << Quote(key) << ":" << (value ? "true" : "false");
    return *this;
  }
  // Prints the line and flushes.
  void Print() {
    std::printf("%s}\n", out_.str().c_str());
    std::fflush(stdout);
  }

 private:
  static std::string Quote(const std::string& s) {
    std::string q = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') q += '\\';
      q += c;
    }
    return q + "\"";
  }
  static std::string Number(double v) {
    if (!std::isfinite(v)) return "null";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
  }
  std::ostringstream out_;
};

}  // namespace riskd::bench

#endif  // RISKD_BENCH_COMMON_JSON_LINE_H_
