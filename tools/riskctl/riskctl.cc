// riskctl: the operator's command line for a running riskd.
//
//   riskctl send   [--endpoint E] [--file F | JSON...]   send Envelopes (protobuf JSON,
//                                                       one per line in F, "-" = stdin)
//   riskctl tail   [--endpoint E] [--topic P] [--count N] [--timeout S] [--json]
//                                                       print published messages
//   riskctl query  [--endpoint E] [--text] snapshot | projection [RISK] | node ID... | plan K [RISK]
//                                                       (--text: for people, not JSON)
//   riskctl verify-journal --db PATH                    check the journal's hash chain
//   riskctl calibrate --db PATH [--risk-type R] [--config F]  fit alpha, beta, kappa to the
//                                                       journal's cascades (calibrate_command.h)
//   riskctl keygen --out FILE                           make a CURVE key pair (zcert file)
//
// With CURVE on (config `security`), clients add
//   --server-key KEY|FILE   the daemon's public key (Z85) or its cert file
//   --cert FILE             this client's cert (with secret key)
//
// Default endpoints: ingest tcp://127.0.0.1:7750, publish tcp://127.0.0.1:7751.
// Exit status: 0 on success, 1 when something was rejected or failed, 2 on usage errors.
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "connectors/store/journal.h"
#include "connectors/zmq/curve_auth.h"
#include "tools/riskctl/calibrate_command.h"
#include "riskd/v1/envelope.pb.h"
#include "riskd/v1/outputs.pb.h"

namespace {

using google::protobuf::util::JsonParseOptions;
using google::protobuf::util::JsonPrintOptions;

struct Args {
  std::string endpoint;
  std::string file;
  std::string topic;
  std::string db;
  long count = -1;
  double timeout_s = -1;
  double ack_timeout_s = 10;
  bool json = false;
  bool text = false;
  std::string server_key;
  std::string cert;
  std::vector<std::string> rest;
};

// CURVE client options from --server-key / --cert; false (and a message) on
// bad keys.
bool ApplyCurve(const Args& args, zmq::socket_t& socket) {
  if (args.server_key.empty() && args.cert.empty()) return true;
  if (args.server_key.empty() || args.cert.empty()) {
    std::cerr << "riskctl: CURVE needs both --server-key and --cert\n";
    return false;
  }
  riskd::connectors::CurveClientKeys keys;
  if (riskd::connectors::IsCurveKey(args.server_key)) {
    keys.server_public_key = args.server_key;
  } else {
    auto server = riskd::connectors::LoadCurveCert(args.server_key);
    if (!server.ok()) {
      std::cerr << "riskctl: --server-key: " << server.status().ToString() << "\n";
      return false;
    }
    keys.server_public_key = server->public_key;
  }
  auto client = riskd::connectors::LoadCurveCert(args.cert);
  if (!client.ok() || client->secret_key.empty()) {
    std::cerr << "riskctl: --cert: " << (client.ok() ? "no secret-key" : client.status().ToString()) << "\n";
    return false;
  }
  keys.client = *client;
  riskd::connectors::ApplyCurveClient(socket, keys);
  return true;
}

int Keygen(const Args& args) {
  if (args.file.empty()) {
    std::cerr << "usage: riskctl keygen --out FILE\n";
    return 2;
  }
  auto pair = riskd::connectors::GenerateCurveKeyPair();
  if (!pair.ok()) {
    std::cerr << "riskctl: " << pair.status().ToString() << "\n";
    return 1;
  }
  const auto st = riskd::connectors::SaveCurveCert(args.file, *pair);
  if (!st.ok()) {
    std::cerr << "riskctl: " << st.ToString() << "\n";
    return 1;
  }
  std::cout << pair->public_key << "\n";
  return 0;
}

int Usage() {
  std::cerr << "usage: riskctl send|tail|query|verify-journal|calibrate [options] (see tools/riskctl/riskctl.cc)\n";
  return 2;
}

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  JsonPrintOptions opt;
  opt.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opt);
  return out;
}

std::string Severity(riskd::v1::Severity s) {
  switch (s) {
    case riskd::v1::SEVERITY_CRITICAL: return "CRITICAL";
    case riskd::v1::SEVERITY_WARNING: return "WARNING";
    default: return "INFO";
  }
}

std::string Lifecycle(riskd::v1::Alert::Lifecycle l) {
  switch (l) {
    case riskd::v1::Alert::LIFECYCLE_RAISED: return "raised";
    case riskd::v1::Alert::LIFECYCLE_UPDATED: return "updated";
    case riskd::v1::Alert::LIFECYCLE_RESOLVED: return "resolved";
    default: return "?";
  }
}

std::string DescribeBody(const riskd::v1::Publication& p);

// One line a dashboard operator can read; "#<sequence>" first for published
// messages (snapshots hold bodies without one).
std::string Describe(const riskd::v1::Publication& p) {
  std::string body = DescribeBody(p);
  if (p.sequence() == 0) return body;
  return "#" + std::to_string(p.sequence()) + " " + body;
}

std::string DescribeBody(const riskd::v1::Publication& p) {
  char buf[512];
  if (p.has_alert()) {
    const auto& a = p.alert();
    std::string path;
    for (const auto& n : a.cause_path()) path += (path.empty() ? "" : " > ") + n;
    std::snprintf(buf, sizeof buf, "ALERT %-8s %-9s %-8s %-12s P=%.3f eta=%s%s",
                  Severity(a.severity()).c_str(),
                  Lifecycle(a.lifecycle()).c_str(), a.risk_type().c_str(), a.node_id().c_str(),
                  a.probability(),
                  a.eta_steps() < 0 ? "-" : (std::to_string(a.eta_steps()) + "d").c_str(),
                  path.empty() ? "" : ("  via " + path).c_str());
    return buf;
  }
  if (p.has_projection_summary()) {
    const auto& s = p.projection_summary();
    std::snprintf(buf, sizeof buf,
                  "SUMMARY %-8s expected disrupted %.2f [%.1f, %.1f] within %d steps; "
                  "observed disrupted %d, immunized %d, at risk %d (%.1f ms)",
                  s.risk_type().c_str(),
                  s.expected_disrupted(), s.disrupted_p05(), s.disrupted_p95(), s.horizon_steps(),
                  s.observed_disrupted(), s.immunized(), s.nodes_at_risk(), s.compute_ms());
    return buf;
  }
  if (p.has_immunization_plan()) {
    const auto& pl = p.immunization_plan();
    std::string targets;
    for (const auto& t : pl.targets()) {
      char one[160];
      std::snprintf(one, sizeof one, "%s%s (-%.2f)", targets.empty() ? "" : ", ", t.node_id().c_str(),
                    t.expected_averted());
      targets += one;
    }
    std::snprintf(buf, sizeof buf, "PLAN %-8s k=%d %s: %s (%.2f -> %.2f)",
                  pl.risk_type().c_str(), pl.k(),
                  pl.strategy().c_str(), targets.c_str(), pl.expected_disrupted_before(),
                  pl.expected_disrupted_after());
    return buf;
  }
  return "(unknown body)";
}

// Sends one Envelope on a DEALER and waits for its Ack.
bool Exchange(zmq::socket_t& dealer, const riskd::v1::Envelope& env, double timeout_s,
              riskd::v1::Ack* ack) {
  dealer.send(zmq::buffer(env.SerializeAsString()), zmq::send_flags::none);
  zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, std::chrono::milliseconds(static_cast<long>(timeout_s * 1000))) <= 0) {
    return false;
  }
  zmq::message_t reply;
  (void)dealer.recv(reply, zmq::recv_flags::none);
  return ack->ParseFromArray(reply.data(), static_cast<int>(reply.size()));
}

int Send(const Args& args, zmq::context_t& ctx) {
  std::vector<std::string> docs = args.rest;
  if (!args.file.empty()) {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (args.file != "-") {
      file.open(args.file);
      if (!file) {
        std::cerr << "riskctl: cannot open " << args.file << "\n";
        return 1;
      }
      in = &file;
    }
    std::string line;
    while (std::getline(*in, line)) {
      const auto first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos || line[first] == '#') continue;
      docs.push_back(line);
    }
  }
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  if (!ApplyCurve(args, dealer)) return 2;
  dealer.connect(args.endpoint);
  int failures = 0;
  for (const auto& doc : docs) {
    riskd::v1::Envelope env;
    JsonParseOptions opt;
    const auto st = google::protobuf::util::JsonStringToMessage(doc, &env, opt);
    if (!st.ok()) {
      std::cout << "LOCAL-REJECT  " << st.ToString() << "\n";
      ++failures;
      continue;
    }
    riskd::v1::Ack ack;
    if (!Exchange(dealer, env, args.ack_timeout_s, &ack)) {
      std::cout << "TIMEOUT       " << env.event_id() << " (no ack from " << args.endpoint << ")\n";
      return 1;
    }
    switch (ack.result()) {
      case riskd::v1::Ack::RESULT_ACCEPTED:
        std::cout << "ACCEPTED      " << ack.event_id() << " seq " << ack.journal_seq() << "\n";
        if (ack.has_response()) std::cout << ToJson(ack.response()) << "\n";
        break;
      case riskd::v1::Ack::RESULT_DUPLICATE:
        std::cout << "DUPLICATE     " << ack.event_id() << " seq " << ack.journal_seq() << "\n";
        break;
      default:
        std::cout << "REJECTED      " << ack.event_id() << ": " << ack.reason() << "\n";
        ++failures;
    }
  }
  return failures ? 1 : 0;
}

int Tail(const Args& args, zmq::context_t& ctx) {
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::subscribe, args.topic);
  if (!ApplyCurve(args, sub)) return 2;
  sub.connect(args.endpoint);
  const auto start = std::chrono::steady_clock::now();
  long seen = 0;
  while (args.count < 0 || seen < args.count) {
    long wait_ms = 1000;
    if (args.timeout_s >= 0) {
      const double left =
          args.timeout_s - std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (left <= 0) break;
      wait_ms = static_cast<long>(left * 1000) + 1;
    }
    zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(wait_ms)) <= 0) continue;
    std::vector<zmq::message_t> frames;
    (void)zmq::recv_multipart(sub, std::back_inserter(frames));
    if (frames.size() != 2) continue;
    riskd::v1::Publication pub;
    if (!pub.ParseFromArray(frames[1].data(), static_cast<int>(frames[1].size()))) continue;
    if (args.json) {
      std::cout << "{\"topic\":\"" << frames[0].to_string() << "\",\"publication\":" << ToJson(pub)
                << "}\n";
    } else {
      std::cout << Describe(pub) << "\n";
    }
    std::cout.flush();
    ++seen;
  }
  return 0;
}

// The answer to a query, for people.
void PrintText(const riskd::v1::QueryResponse& r) {
  auto plan = [](const riskd::v1::ImmunizationPlan& p) {
    std::printf("Immunization plan (%s, k=%d, %s): expected disrupted %.2f -> %.2f\n",
                p.risk_type().c_str(), p.k(), p.strategy().c_str(), p.expected_disrupted_before(),
                p.expected_disrupted_after());
    int rank = 0;
    for (const auto& t : p.targets()) {
      std::printf("  %d. %-14s %-34s averts %.2f  %s\n", ++rank, t.node_id().c_str(),
                  t.node_name().c_str(), t.expected_averted(), t.reason().c_str());
    }
  };
  if (r.has_snapshot()) {
    const auto& s = r.snapshot();
    std::printf("Snapshot at journal seq %llu, publication seq %llu\n",
                static_cast<unsigned long long>(s.journal_seq()),
                static_cast<unsigned long long>(s.sequence()));
    std::printf("Hit directly (observed disrupted):\n");
    for (const auto& n : s.node_risks()) {
      if (n.observed_state() == riskd::v1::NODE_STATE_DISRUPTED) {
        std::printf("  %-16s %-10s P=%.2f\n", n.node_id().c_str(), n.risk_type().c_str(), n.probability());
      }
    }
    std::vector<riskd::v1::Alert> alerts(s.open_alerts().begin(), s.open_alerts().end());
    std::sort(alerts.begin(), alerts.end(),
              [](const auto& a, const auto& b) { return a.probability() > b.probability(); });
    std::printf("Warned (%zu open alerts):\n", alerts.size());
    for (const auto& a : alerts) {
      riskd::v1::Publication p;
      *p.mutable_alert() = a;
      std::printf("  %s\n", Describe(p).c_str());
    }
    for (const auto& sum : s.projections()) {
      riskd::v1::Publication p;
      *p.mutable_projection_summary() = sum;
      std::printf("%s\n", Describe(p).c_str());
    }
    for (const auto& p : s.plans()) plan(p);
  }
  for (const auto& n : r.node_risks()) {
    std::printf("%-16s %-10s observed %-24s P=%.3f eta=%d\n", n.node_id().c_str(), n.risk_type().c_str(),
                riskd::v1::NodeState_Name(n.observed_state()).c_str(), n.probability(), n.eta_steps());
  }
  for (const auto& sum : r.projections()) {
    riskd::v1::Publication p;
    *p.mutable_projection_summary() = sum;
    std::printf("%s\n", Describe(p).c_str());
  }
  if (r.has_plan()) plan(r.plan());
}

int Query(const Args& args, zmq::context_t& ctx) {
  if (args.rest.empty()) return Usage();
  riskd::v1::Envelope env;
  env.set_event_id("riskctl-query-" + std::to_string(::getpid()));
  auto* q = env.mutable_query();
  const std::string& what = args.rest[0];
  if (what == "snapshot") {
    q->mutable_snapshot();
  } else if (what == "projection") {
    q->mutable_projection()->set_risk_type(args.rest.size() > 1 ? args.rest[1] : "");
  } else if (what == "node" && args.rest.size() > 1) {
    for (std::size_t i = 1; i < args.rest.size(); ++i) q->mutable_node_risk()->add_node_ids(args.rest[i]);
  } else if (what == "plan" && args.rest.size() > 1) {
    q->mutable_plan()->set_k(std::atoi(args.rest[1].c_str()));
    if (args.rest.size() > 2) q->mutable_plan()->set_risk_type(args.rest[2]);
  } else {
    return Usage();
  }
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  if (!ApplyCurve(args, dealer)) return 2;
  dealer.connect(args.endpoint);
  riskd::v1::Ack ack;
  if (!Exchange(dealer, env, args.ack_timeout_s, &ack)) {
    std::cerr << "riskctl: no answer from " << args.endpoint << "\n";
    return 1;
  }
  if (ack.result() != riskd::v1::Ack::RESULT_ACCEPTED) {
    std::cerr << "riskctl: rejected: " << ack.reason() << "\n";
    return 1;
  }
  if (args.text) {
    PrintText(ack.response());
  } else {
    std::cout << ToJson(ack.response()) << "\n";
  }
  return 0;
}

int VerifyJournal(const Args& args) {
  if (args.db.empty()) return Usage();
  auto journal = riskd::connectors::Journal::Open(args.db);
  if (!journal.ok()) {
    std::cerr << "riskctl: " << journal.status().ToString() << "\n";
    return 1;
  }
  auto report = (*journal)->Verify();
  if (!report.ok()) {
    std::cerr << "riskctl: " << report.status().ToString() << "\n";
    return 1;
  }
  if (!report->ok) {
    std::cout << "journal BROKEN at seq " << report->first_bad_seq << ": " << report->problem
              << " (" << report->rows << " rows verified before it)\n";
    return 1;
  }
  std::cout << "journal OK: " << report->rows << " rows, hash chain intact\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string cmd = argv[1];
  if (cmd == "calibrate") return riskd::tools::RunCalibrate(argc - 2, argv + 2, std::cout, std::cerr);
  Args args;
  args.endpoint = cmd == "tail" ? "tcp://127.0.0.1:7751" : "tcp://127.0.0.1:7750";
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--endpoint") args.endpoint = value();
    else if (a == "--file" || a == "--out") args.file = value();
    else if (a == "--server-key") args.server_key = value();
    else if (a == "--cert") args.cert = value();
    else if (a == "--topic") args.topic = value();
    else if (a == "--db") args.db = value();
    else if (a == "--count") args.count = std::atol(value().c_str());
    else if (a == "--timeout") args.timeout_s = std::atof(value().c_str());
    else if (a == "--ack-timeout") args.ack_timeout_s = std::atof(value().c_str());
    else if (a == "--json") args.json = true;
    else if (a == "--text") args.text = true;
    else args.rest.push_back(a);
  }
  zmq::context_t ctx(1);
  if (cmd == "send") return Send(args, ctx);
  if (cmd == "tail") return Tail(args, ctx);
  if (cmd == "query") return Query(args, ctx);
  if (cmd == "verify-journal") return VerifyJournal(args);
  if (cmd == "keygen") return Keygen(args);
  return Usage();
}
