#include "connectors/nats/subject_publisher.h"

namespace riskd::connectors::nats {

std::string SubjectFor(std::string_view prefix, std::string_view topic) {
  std::string out;
  out.reserve(prefix.size() + topic.size() + 1);
  out.append(prefix);
  if (!topic.empty()) {
    if (!out.empty()) out.push_back('.');
    out.append(topic);
  }
  std::string clean;
  clean.reserve(out.size());
  bool token_empty = true;
  for (const char c : out) {
    if (c == '.') {
      if (token_empty) clean.push_back('_');
      clean.push_back('.');
      token_empty = true;
      continue;
    }
    const bool reserved = c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '*' || c == '>';
    clean.push_back(reserved ? '_' : c);
    token_empty = false;
  }
  if (token_empty) clean.push_back('_');
  return clean;
}

void SubjectPublisher::Send(const std::string& topic, const std::string& payload) {
  const std::string subject = SubjectFor(prefix_, topic);
  const natsStatus s = natsConnection_Publish(connection_->get(), subject.c_str(), payload.data(),
                                              static_cast<int>(payload.size()));
  (s == NATS_OK ? sent_ : failed_).fetch_add(1, std::memory_order_relaxed);
}

}  // namespace riskd::connectors::nats
