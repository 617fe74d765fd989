// FakeIngest (tests only): a stand-in for the daemon's ingest ROUTER. It
// decodes each Envelope and answers with an Ack the way the daemon's
// contract says: ACCEPTED the first time an event id is seen, DUPLICATE
// after, REJECTED for a supplier status naming an unknown node or a frame
// that is not an Envelope, with the daemon's reasons ("not_found:
// supplier_status.node_id: ...", "invalid_argument: payload: ..."). It can also drop the first copy
// of chosen ids to exercise retries.
#ifndef RISKD_CONNECTORS_TESTING_FAKE_INGEST_H_
#define RISKD_CONNECTORS_TESTING_FAKE_INGEST_H_

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

namespace riskd::connectors {

class FakeIngest {
 public:
  // Binds tcp://127.0.0.1 on a free port and starts answering.
  // known_nodes: node ids a SupplierStatus may name (empty: any).
  explicit FakeIngest(std::set<std::string> known_nodes = {},
                      std::set<std::string> drop_first_copy = {});
  ~FakeIngest();
  FakeIngest(const FakeIngest&) = delete;
  FakeIngest& operator=(const FakeIngest&) = delete;

  const std::string& endpoint() const { return endpoint_; }
  // Every event id received, copies included, in arrival order.
  std::vector<std::string> received() const;

 private:
  void Serve();

  std::set<std::string> known_nodes_;
  std::set<std::string> drop_first_copy_;
  std::string endpoint_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<std::string> received_;
  std::set<std::string> journal_;
  zmq::context_t context_{1};
  zmq::socket_t socket_{context_, zmq::socket_type::router};
  std::thread thread_;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_TESTING_FAKE_INGEST_H_
