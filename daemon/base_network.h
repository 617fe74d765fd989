// The base network: imported from the configured source (config `network`)
// on first start and stored in the state store; later starts load it from
// there and replay the journal on top. The source's content digest is stored
// with it, so a changed source (edited files, another data set) is noticed
// at start instead of silently ignored. The documented choice: riskd refuses
// to start on a changed source, saying so, until the operator either points
// the config back at the imported source or re-imports explicitly
// (riskd --reimport-network, or riskctl import while the daemon is stopped).
// A re-import replaces the stored base network; the journal is kept and
// replayed on top of the new network (events that no longer apply are
// logged "not applied").
//
// Thread-safety: functions of their arguments; call at start-up.
#ifndef RISKD_DAEMON_BASE_NETWORK_H_
#define RISKD_DAEMON_BASE_NETWORK_H_

#include <string>

#include "base/status.h"
#include "connectors/store/state_store.h"
#include "engine/network.h"
#include "riskd/v1/config.pb.h"

namespace riskd::daemon {

// SHA-256 (hex) over the source's settings and the content of every file
// and directory it names (paths resolved against config_dir; the paths
// themselves do not count, so moving the files changes nothing). NotFound
// when a named file does not exist.
Result<std::string> NetworkSourceDigest(const riskd::v1::NetworkSource& source,
                                        const std::string& config_dir);

struct BaseNetwork {
  engine::Network network;
  bool imported = false;  // read from the source now (not from the store)
};

// The stored base network, or the source's on first start (stored with its
// digest). FailedPrecondition when the stored digest differs from the
// source's and !reimport; with reimport, the source replaces the stored
// network. A store from before digests were kept adopts the source's.
Result<BaseNetwork> LoadBaseNetwork(connectors::StateStore* store,
                                    const riskd::v1::NetworkSource& source,
                                    const std::string& config_dir, bool reimport);

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_BASE_NETWORK_H_
