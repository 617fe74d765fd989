#include "connectors/http/dashboard_auth.h"

#include <sodium.h>

namespace riskd::connectors {
namespace {

// The Envelope bodies a dashboard user may send (field names of the body
// oneof); what role each needs is the ingest's own rule, AuthorizeEnvelope.
// Protecting a node (intervention) needs an admin; the actions on
// incidents (operator_action) an operator or an admin.
constexpr const char* kActionBodies[] = {"intervention", "operator_action"};

const google::protobuf::FieldDescriptor* ActionField(const char* name) {
  const auto* field = riskd::v1::Envelope::descriptor()->FindFieldByName(name);
  return field && field->containing_oneof() && field->containing_oneof()->name() == "body"
             ? field
             : nullptr;
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
  const auto* field = riskd::v1::Envelope::descriptor()->FindFieldByNumber(envelope.body_case());
  for (const char* name : kActionBodies) {
    if (field && field == ActionField(name)) return AuthorizeEnvelope(who.role, envelope);
  }
  return Status::PermissionDenied("the dashboard does not send " +
                                  (field ? field->name() : std::string("an empty envelope")));
}

std::vector<std::string> DashboardAuth::ActionsFor(ClientRole role) {
  std::vector<std::string> out;
  for (const char* name : kActionBodies) {
    const auto* field = ActionField(name);
    if (!field) continue;
    riskd::v1::Envelope probe;
    probe.GetReflection()->MutableMessage(&probe, field);
    if (AuthorizeEnvelope(role, probe).ok()) out.push_back(name);
  }
  return out;
}

}  // namespace riskd::connectors
