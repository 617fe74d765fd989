#include "connectors/http/network_json.h"

#include <charconv>

namespace riskd::connectors {

namespace {

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (u < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[u >> 4]);
      out->push_back(kHex[u & 15]);
    } else {
      out->push_back(c);  // UTF-8 passes through, as JSON allows
    }
  }
  out->push_back('"');
}

void AppendNumber(double v, std::string* out) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round trip
  out->append(buf, r.ptr);
}

}  // namespace

std::string NetworkJson(const riskd::v1::QueryResponse& r) {
  std::string out = "{\"networkNodes\":[";
  out.reserve(out.size() + static_cast<std::size_t>(r.network_nodes_size()) * 120);
  bool first = true;
  for (const auto& n : r.network_nodes()) {
    if (!first) out.push_back(',');
    first = false;
    out += "{\"id\":";
    AppendJsonString(n.id(), &out);
    auto text = [&](const char* key, const std::string& v) {
      if (v.empty()) return;
      out += key;
      AppendJsonString(v, &out);
    };
    text(",\"name\":", n.name());
    text(",\"kind\":", n.kind());
    if (n.tier() != 0) out += ",\"tier\":" + std::to_string(n.tier());
    text(",\"region\":", n.region());
    if (n.has_location()) {
      out += ",\"location\":{";
      bool any = false;
      if (n.location().lat() != 0) {
        out += "\"lat\":";
        AppendNumber(n.location().lat(), &out);
        any = true;
      }
      if (n.location().lon() != 0) {
        out += any ? ",\"lon\":" : "\"lon\":";
        AppendNumber(n.location().lon(), &out);
      }
      out.push_back('}');
    }
    if (n.inventory_days() != 0) {
      out += ",\"inventoryDays\":";
      AppendNumber(n.inventory_days(), &out);
    }
    if (n.alternates_size() > 0) {
      out += ",\"alternates\":[";
      for (int i = 0; i < n.alternates_size(); ++i) {
        if (i) out.push_back(',');
        AppendJsonString(n.alternates(i), &out);
      }
      out.push_back(']');
    }
    text(",\"emergencyPlanId\":", n.emergency_plan_id());
    out.push_back('}');
  }
  out += "]";
  if (r.network_nodes_size() == 0) out = "{";  // an empty list is omitted too
  if (r.network_version() != 0) {
    if (out.size() > 1) out.push_back(',');
    out += "\"networkVersion\":\"" + std::to_string(r.network_version()) + "\"";
  }
  out += "}";
  return out;
}

}  // namespace riskd::connectors
