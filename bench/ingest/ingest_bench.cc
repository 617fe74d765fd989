// Ingest throughput, measured against its raw limits in the same run:
//   ingest_events_per_s   events acknowledged per second by the real riskd
//                         (a child process) from this client process over
//                         ZeroMQ TCP loopback: parse, validate, durable
//                         journal (WAL, synchronous=FULL, group commit), ack;
//   zmq_raw_msgs_per_s    the same client and window against a bare ROUTER
//                         echo process: what ZeroMQ alone allows;
//   sqlite_raw_rows_per_s rows of the same size inserted in transactions of
//                         the same batch size into the same kind of table.
// The client keeps `window` events outstanding (sent, not yet acknowledged).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "bench/common/json_line.h"
#include "connectors/store/journal.h"
#include "riskd/v1/envelope.pb.h"
#include "tests/support/daemon_harness.h"

namespace {

using Clock = std::chrono::steady_clock;
using riskd::bench::JsonLine;

const std::vector<std::string> kDemoNodes = {"FAB-KUM", "RES-RAY", "STL-DUI", "MAG-BAO", "CEL-OCH",
                                             "ECU-NGO", "CHP-SND", "PLS-BKK", "HRN-CEB", "BRG-SWF"};

std::string MakeEvent(std::size_t i) {
  riskd::v1::Envelope e;
  e.set_event_id("bench-" + std::to_string(i));
  auto* s = e.mutable_supplier_status();
  s->set_node_id(kDemoNodes[i % kDemoNodes.size()]);
  s->set_state(i % 2 ? riskd::v1::NODE_STATE_SUSCEPTIBLE : riskd::v1::NODE_STATE_DISRUPTED);
  s->set_severity(0.5);
  return e.SerializeAsString();
}

struct RunResult {
  double seconds = 0;
  std::size_t acked = 0;
  std::size_t accepted = 0;
};

// Sends `messages` keeping `window` outstanding; counts replies.
RunResult Drive(zmq::context_t& ctx, const std::string& endpoint,
                const std::vector<std::string>& messages, std::size_t window, bool parse_acks) {
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.set(zmq::sockopt::sndhwm, 0);
  dealer.set(zmq::sockopt::rcvhwm, 0);
  dealer.connect(endpoint);
  RunResult r;
  std::size_t sent = 0;
  const auto t0 = Clock::now();
  while (r.acked < messages.size()) {
    while (sent < messages.size() && sent - r.acked < window) {
      dealer.send(zmq::buffer(messages[sent]), zmq::send_flags::none);
      ++sent;
    }
    zmq::message_t reply;
    if (!dealer.recv(reply, zmq::recv_flags::none)) continue;
    ++r.acked;
    if (parse_acks) {
      riskd::v1::Ack ack;
      if (ack.ParseFromArray(reply.data(), static_cast<int>(reply.size())) &&
          ack.result() == riskd::v1::Ack::RESULT_ACCEPTED) {
        ++r.accepted;
      }
    }
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

// A bare ROUTER that echoes every message, in a child process.
pid_t StartEchoServer(const std::string& endpoint) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    zmq::context_t ctx(1);
    zmq::socket_t router(ctx, zmq::socket_type::router);
    router.set(zmq::sockopt::sndhwm, 0);
    router.set(zmq::sockopt::rcvhwm, 0);
    router.bind(endpoint);
    while (true) {
      zmq::message_t id, body;
      if (!router.recv(id, zmq::recv_flags::none)) continue;
      (void)router.recv(body, zmq::recv_flags::none);
      router.send(id, zmq::send_flags::sndmore);
      router.send(body, zmq::send_flags::none);
    }
  }
  return pid;
}

double SqliteRawRowsPerSecond(const std::string& path, std::size_t rows, std::size_t batch,
                              std::size_t payload_bytes) {
  auto db = riskd::connectors::SqliteDb::Open(path);
  if (!db.ok()) return 0;
  (void)(*db)->Exec(
      "CREATE TABLE raw (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE,"
      " received_ns INTEGER NOT NULL, payload BLOB NOT NULL)");
  auto ins = (*db)->Prepare("INSERT INTO raw(seq, event_id, received_ns, payload) VALUES(?1,?2,?3,?4)");
  const std::string payload(payload_bytes, 'x');
  const auto t0 = Clock::now();
  for (std::size_t done = 0; done < rows;) {
    riskd::connectors::SqliteTransaction tx(db->get());
    for (std::size_t k = 0; k < batch && done < rows; ++k, ++done) {
      ins->BindInt(1, static_cast<std::int64_t>(done + 1));
      ins->BindText(2, "bench-" + std::to_string(done));
      ins->BindInt(3, 0);
      ins->BindBlob(4, payload);
      (void)ins->Run();
    }
    (void)tx.Commit();
  }
  return static_cast<double>(rows) / std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  for (int i = 1; i < argc; ++i) quick |= std::string(argv[i]) == "--quick";
  const std::size_t events = quick ? 50000 : 300000;
  const std::size_t window = 5000;
  const std::size_t max_batch = 1024;

  std::vector<std::string> messages;
  messages.reserve(events);
  for (std::size_t i = 0; i < events; ++i) messages.push_back(MakeEvent(i));
  std::size_t bytes = 0;
  for (const auto& m : messages) bytes += m.size();
  const double mean_bytes = static_cast<double>(bytes) / static_cast<double>(events);

  const std::string demo = riskd::testing::SourceDir() + "/config/demo/";
  riskd::testing::DaemonHarness daemon(
      "network { csv { nodes: \"" + demo + "nodes.csv\" edges: \"" + demo + "edges.csv\" } }\n"
      "logging { level: \"warn\" }\n"
      "ingest { max_batch: " + std::to_string(max_batch) + " }\n",
      riskd::testing::DaemonHarness::Transport::kTcpLoopback);
  if (!daemon.Start()) return 1;
  zmq::context_t ctx(1);
  // Warm-up (page cache, WAL file growth), not counted.
  std::vector<std::string> warm;
  for (std::size_t i = 0; i < 5000; ++i) warm.push_back(MakeEvent(events + i));
  Drive(ctx, daemon.ingest(), warm, window, false);
  const RunResult ingest = Drive(ctx, daemon.ingest(), messages, window, true);
  const int stop_status = daemon.Stop();
  if (ingest.accepted != events) {
    std::cerr << "only " << ingest.accepted << " of " << events << " accepted\n";
    return 1;
  }
  const double ingest_rate = static_cast<double>(events) / ingest.seconds;

  const std::string echo_endpoint = "tcp://127.0.0.1:" + std::to_string(20000 + ::getpid() % 20000);
  const pid_t echo = StartEchoServer(echo_endpoint);
  const RunResult raw = Drive(ctx, echo_endpoint, messages, window, false);
  ::kill(echo, SIGKILL);
  ::waitpid(echo, nullptr, 0);
  const double zmq_rate = static_cast<double>(events) / raw.seconds;

  const auto dir = std::filesystem::temp_directory_path() / ("riskd_sqlite_raw_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const double sqlite_rate = SqliteRawRowsPerSecond((dir / "raw.db").string(), events, max_batch,
                                                    static_cast<std::size_t>(mean_bytes));
  std::filesystem::remove_all(dir);

  auto line = [&](const std::string& metric, double value) {
    JsonLine("ingest", metric, value, "1/s").Param("events", static_cast<long long>(events))
        .Param("window", static_cast<long long>(window))
        .Param("message_bytes", mean_bytes)
        .Param("max_batch", static_cast<long long>(max_batch))
        .Param("transport", "tcp_loopback")
        .Param("durable", "wal_synchronous_full")
        .Print();
  };
  line("ingest_events_per_s", ingest_rate);
  line("zmq_raw_msgs_per_s", zmq_rate);
  line("sqlite_raw_rows_per_s", sqlite_rate);
  JsonLine("ingest", "ingest_vs_zmq_raw_ratio", ingest_rate / zmq_rate, "ratio").Print();
  JsonLine("ingest", "ingest_vs_sqlite_raw_ratio", ingest_rate / sqlite_rate, "ratio").Print();
  JsonLine("ingest", "daemon_clean_stop", stop_status == 0 ? 1 : 0, "bool").Print();
  return 0;
}
