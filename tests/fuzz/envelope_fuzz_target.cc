// Fuzz target for everything bad input reaches: bytes -> riskd.v1.Envelope ->
// ValidateEnvelope -> ApplyEnvelope -> Engine::Project, on a small network.
// Invariants checked (a violation aborts, which the fuzzer reports):
//   - a rejection always says why;
//   - an event that passed validation applies, except edge-level network
//     changes the validator leaves to the engine (docs/protocol.md);
//   - projections stay probabilities.
// Built as a libFuzzer binary with clang (scripts/fuzz.sh) and, everywhere,
// driven by envelope_fuzz_driver.cc for a bounded run under the test suite.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "connectors/codec/event_codec.h"
#include "connectors/codec/protobuf_log.h"
#include "engine/engine.h"
#include "riskd/v1/envelope.pb.h"

namespace {

using riskd::Status;
namespace engine = riskd::engine;

// How far inputs got (reported by the driver, to show the campaign is not
// stuck at the parser).
struct Reach {
  std::uint64_t parsed = 0, valid = 0, applied = 0;
} reach;

struct Fixture {
  std::unique_ptr<engine::Engine> eng;
  riskd::connectors::NodeDirectory directory;
  riskd::connectors::RiskTypeResolver types;
  std::uint64_t inputs = 0;

  Fixture() {
    engine::Network net;
    const char* ids[] = {"A", "B", "C", "D", "E", "F"};
    const double lat[] = {35, 35.1, 10, -33, 51, 0};
    for (int i = 0; i < 6; ++i) {
      engine::NodeAttributes a;
      a.id = ids[i];
      a.region = i % 2 ? "JP" : "DE";
      a.location = engine::GeoPoint{lat[i], 139.0 - 20 * i};
      (void)net.AddNode(a);
    }
    for (int i = 0; i + 1 < 6; ++i) {
      (void)net.AddEdge(static_cast<engine::NodeIndex>(i), static_cast<engine::NodeIndex>(i + 1),
                        engine::Layer::kMaterial, 1.0 + i);
    }
    (void)net.AddEdge(0, 2, engine::Layer::kData, 2.0);
    net.Compact();
    directory = riskd::connectors::NodeDirectory(net);
    engine::EngineOptions options;
    options.risk_types = {engine::RiskType{},
                          engine::RiskType{.name = "data",
                                           .alpha = 1.0,
                                           .beta = 0.5,
                                           .layers = engine::LayerBit(engine::Layer::kData),
                                           .direction = engine::Direction::kBoth}};
    options.dmp.horizon = 10;
    eng = engine::Engine::Create(options, std::move(net)).value();
    types.names = {"supply", "data"};
    types.default_risk_type = "supply";
    types.hazard_risk_types[riskd::v1::HAZARD_DATA_LEAK] = "data";
  }
};

void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "invariant violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

bool EdgeLevelChange(const riskd::v1::Envelope& e) {
  if (!e.has_network_change()) return false;
  const auto c = e.network_change().change_case();
  return c == riskd::v1::NetworkChange::kAddEdge || c == riskd::v1::NetworkChange::kRemoveEdge ||
         c == riskd::v1::NetworkChange::kSetEdgeWeight;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static auto* fixture = [] {
    riskd::connectors::CaptureProtobufLogs();  // no stderr flood from bad UTF-8
    return new Fixture();
  }();
  if (++fixture->inputs % 20000 == 0) {  // keep the network bounded
    delete fixture;
    fixture = new Fixture();
  }
  riskd::v1::Envelope envelope;
  if (!envelope.ParseFromArray(data, static_cast<int>(size))) return 0;
  ++reach.parsed;
  const Status valid =
      riskd::connectors::ValidateEnvelope(envelope, fixture->directory, fixture->types);
  if (!valid.ok()) {
    if (valid.message().empty()) Fail("rejection without a reason", envelope.ShortDebugString());
    return 0;
  }
  ++reach.valid;
  if (envelope.has_query()) return 0;
  if (envelope.has_network_change()) fixture->directory.Apply(envelope.network_change());
  const Status applied =
      riskd::connectors::ApplyEnvelope(envelope, fixture->types, fixture->eng.get());
  if (applied.ok()) ++reach.applied;
  if (!applied.ok() && !EdgeLevelChange(envelope)) {
    Fail("validated event did not apply",
         applied.ToString() + " for " + envelope.ShortDebugString());
  }
  if (fixture->inputs % 16 == 0) {
    fixture->eng->Project(fixture->inputs);
    for (int r = 0; r < fixture->eng->risk_type_count(); ++r) {
      for (double p : fixture->eng->risk_state(r).projection().risk) {
        if (!(p >= 0 && p <= 1)) Fail("risk out of [0, 1]", std::to_string(p));
      }
    }
  }
  return 0;
}

extern "C" void RiskdFuzzReach(std::uint64_t* parsed, std::uint64_t* valid,
                               std::uint64_t* applied) {
  *parsed = reach.parsed;
  *valid = reach.valid;
  *applied = reach.applied;
}
