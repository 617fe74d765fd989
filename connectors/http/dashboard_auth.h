// DashboardAuth: who a dashboard request comes from and what it may do.
//
// A request authenticates with a bearer token (`Authorization: Bearer
// <token>`, or `?access_token=` on the event stream, which browsers open
// without headers). The token's SHA-256 is compared, in constant time, with
// the configured users'. Without a token a request is anonymous, which may
// read only while anonymous_read is on (the default on loopback). Actions
// are Envelopes sent on the user's behalf, of the kinds a dashboard offers
// (interventions, operator actions on incidents); each needs the role the
// ingest requires of a CURVE client sending it (AuthorizeEnvelope in
// connectors/zmq/curve_auth.h, one policy for both), and anonymous requests
// never act.
//
// Thread-safe: immutable after construction.
#ifndef RISKD_CONNECTORS_HTTP_DASHBOARD_AUTH_H_
#define RISKD_CONNECTORS_HTTP_DASHBOARD_AUTH_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "connectors/http/dashboard_settings.h"
#include "riskd/v1/envelope.pb.h"

namespace riskd::connectors {

struct DashboardIdentity {
  std::string name;  // empty when anonymous
  ClientRole role = ClientRole::kSubscriber;
  bool anonymous = true;
};

class DashboardAuth {
 public:
  explicit DashboardAuth(const DashboardSettings& settings)
      : users_(settings.users), anonymous_read_(settings.anonymous_read) {}

  // The identity behind `token` (empty: none given). PermissionDenied when
  // the token matches no user, or when there is none and anonymous reading
  // is off; the message says which.
  Result<DashboardIdentity> Authenticate(std::string_view token) const;
  bool anonymous_read() const { return anonymous_read_; }

  // Whether `who` may send `envelope` from the dashboard. PermissionDenied
  // says why, e.g. "permission_denied: role 'subscriber' may not send
  // intervention".
  static Status AuthorizeAction(const DashboardIdentity& who, const riskd::v1::Envelope& envelope);
  // The Envelope bodies `role` may send from the dashboard (field names of
  // Envelope's body), for the page to offer only those.
  static std::vector<std::string> ActionsFor(ClientRole role);

 private:
  std::vector<DashboardUserEntry> users_;
  bool anonymous_read_;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_HTTP_DASHBOARD_AUTH_H_
