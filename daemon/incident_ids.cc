#include "daemon/incident_ids.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>

namespace riskd::daemon {
namespace {

// "<risk type>/<key>" split at its last '/', the key all digits (as
// IncidentBook writes it: no sign, no leading zero but "0" itself), else
// nullopt.
struct ParsedId {
  std::string_view risk_type;
  std::uint64_t key = 0;
};
std::optional<ParsedId> Parse(std::string_view id) {
  const std::size_t slash = id.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view digits = id.substr(slash + 1);
  if (digits.empty() || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  ParsedId out{id.substr(0, slash), 0};
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), out.key);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return out;
}

}  // namespace

Status CheckActionOnClosedIncident(riskd::v1::OperatorAction::Kind kind, std::string_view id) {
  if (kind == riskd::v1::OperatorAction::KIND_ACKNOWLEDGE) return Status::Ok();
  return Status::FailedPrecondition("operator_action: incident '" + std::string(id) +
                                    "' is closed; " + riskd::v1::OperatorAction::Kind_Name(kind) +
                                    " acts on an open incident (only KIND_ACKNOWLEDGE, with a "
                                    "note, is recorded on a closed one)");
}

IncidentIds::Keys* IncidentIds::Find(std::string_view risk_type) {
  for (auto& t : types_) {
    if (t.risk_type == risk_type) return &t;
  }
  return nullptr;
}

const IncidentIds::Keys* IncidentIds::Find(std::string_view risk_type) const {
  for (const auto& t : types_) {
    if (t.risk_type == risk_type) return &t;
  }
  return nullptr;
}

void IncidentIds::Add(const std::string& id, bool closed) {
  const auto parsed = Parse(id);
  std::lock_guard<std::mutex> lock(mu_);
  if (closed) {
    closed_.insert(id);
  } else if (!closed_.empty()) {
    if (auto it = closed_.find(id); it != closed_.end()) closed_.erase(it);
  }
  if (!parsed) {
    others_.insert(id);
    return;
  }
  Keys* t = Find(parsed->risk_type);
  if (!t) t = &types_.emplace_back(Keys{std::string(parsed->risk_type), {}});
  auto& keys = t->keys;
  if (keys.empty() || keys.back() < parsed->key) {
    keys.push_back(parsed->key);
    return;
  }
  const auto at = std::lower_bound(keys.begin(), keys.end(), parsed->key);
  if (*at != parsed->key) keys.insert(at, parsed->key);
}

void IncidentIds::Remove(const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  // Per risk type, the keys to remove, sorted; then one pass over each
  // array (a round can forget thousands).
  std::vector<std::pair<std::string_view, std::uint64_t>> gone;
  std::vector<std::string_view> other_ids;
  gone.reserve(ids.size());
  for (const auto& id : ids) {
    if (const auto parsed = Parse(id)) {
      gone.emplace_back(parsed->risk_type, parsed->key);
    } else {
      other_ids.push_back(id);
    }
  }
  std::sort(gone.begin(), gone.end());
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& id : ids) {
    if (auto it = closed_.find(id); it != closed_.end()) closed_.erase(it);
  }
  for (const auto id : other_ids) {
    if (auto it = others_.find(id); it != others_.end()) others_.erase(it);
  }
  for (auto first = gone.begin(); first != gone.end();) {
    auto last =
        std::find_if(first, gone.end(), [&](const auto& g) { return g.first != first->first; });
    if (Keys* t = Find(first->first)) {
      auto& keys = t->keys;
      keys.erase(
          std::remove_if(keys.begin(), keys.end(),
                         [&](std::uint64_t key) {
                           return std::binary_search(first, last, std::pair{first->first, key});
                         }),
          keys.end());
    }
    first = last;
  }
}

bool IncidentIds::Has(std::string_view id) const {
  const auto parsed = Parse(id);
  std::lock_guard<std::mutex> lock(mu_);
  if (!parsed) return others_.find(id) != others_.end();
  const Keys* t = Find(parsed->risk_type);
  return t && std::binary_search(t->keys.begin(), t->keys.end(), parsed->key);
}

bool IncidentIds::Closed(std::string_view id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_.find(id) != closed_.end();
}

std::size_t IncidentIds::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::size_t n = others_.size();
  for (const auto& t : types_) n += t.keys.size();
  return n;
}

std::size_t IncidentIds::MemoryBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::size_t bytes = types_.capacity() * sizeof(Keys);
  for (const auto& t : types_) bytes += t.keys.capacity() * sizeof(std::uint64_t);
  return bytes;
}

}  // namespace riskd::daemon
