#include "connectors/http/dashboard_auth.h"

#include <sodium.h>

namespace riskd::connectors {
namespace {

// An Envelope body the dashboard may send, and the roles that may send it
// (as the ingest requires of CURVE clients, docs/protocol.md).
struct ActionRule {
  riskd::v1::Envelope::BodyCase body;
  const char* name;
  std::vector<ClientRole> roles;
};

const std::vector<ActionRule>& Rules() {
  static const std::vector<ActionRule> rules = {
      {riskd::v1::Envelope::kIntervention, "intervention", {ClientRole::kAdmin}},
  };
  return rules;
}

}  // namespace

Result<DashboardIdentity> DashboardAuth::Authenticate(std::string_view token) const {
  if (token.empty()) {
    if (!anonymous_read_) {
      return Status::PermissionDenied("a token is required (Authorization: Bearer <token>)");
    }
    return DashboardIdentity{};
  }
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  const DashboardUserEntry* match = nullptr;
  for (const auto& u : users_) {
    // Every entry is compared, in constant time, whichever matches.
    if (sodium_memcmp(digest, u.token_sha256.data(), sizeof digest) == 0) match = &u;
  }
  if (!match) return Status::PermissionDenied("the token matches no dashboard user");
  return DashboardIdentity{match->name, match->role, false};
}

Status DashboardAuth::AuthorizeAction(const DashboardIdentity& who,
                                      const riskd::v1::Envelope& envelope) {
  if (who.anonymous) return Status::PermissionDenied("actions need a signed-in user");
  for (const auto& rule : Rules()) {
    if (rule.body != envelope.body_case()) continue;
    for (ClientRole r : rule.roles) {
      if (r == who.role) return Status::Ok();
    }
    return Status::PermissionDenied("role '" + std::string(RoleName(who.role)) + "' may not send " +
                                    rule.name);
  }
  const auto* field = riskd::v1::Envelope::descriptor()->FindFieldByNumber(envelope.body_case());
  return Status::PermissionDenied("the dashboard does not send " +
                                  (field ? field->name() : std::string("an empty envelope")));
}

std::vector<std::string> DashboardAuth::ActionsFor(ClientRole role) {
  std::vector<std::string> out;
  for (const auto& rule : Rules()) {
    for (ClientRole r : rule.roles) {
      if (r == role) out.push_back(rule.name);
    }
  }
  return out;
}

}  // namespace riskd::connectors
