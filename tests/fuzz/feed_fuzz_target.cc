// Fuzz target for one feed adapter (RISKD_FUZZ_ADAPTER, e.g. "gdacs_rss"):
// bytes -> FeedAdapter::Parse, as the daemon's feed poller and riskd-feed
// run it on a document fetched from the network. Invariants (a violation
// aborts, which the fuzzer reports):
//   - a rejected or skipped entry always says why;
//   - every Envelope the adapter emits passes the daemon's own validation
//     (ValidateEnvelope), except for naming a node the network lacks
//     (scms_csv names vendors' nodes): a feed never sends what ingest must
//     refuse for its form.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "connectors/codec/event_codec.h"
#include "connectors/codec/protobuf_log.h"
#include "connectors/feeds/feed_factory.h"
#include "engine/network.h"

#ifndef RISKD_FUZZ_ADAPTER
#error "define RISKD_FUZZ_ADAPTER as the adapter's factory name"
#endif

namespace {

struct Fixture {
  std::unique_ptr<riskd::connectors::FeedAdapter> adapter;
  riskd::connectors::NodeDirectory directory;
  riskd::connectors::RiskTypeResolver types;

  Fixture() {
    riskd::v1::FeedConfig config;
    config.set_adapter(RISKD_FUZZ_ADAPTER);
    if (config.adapter() == "scms_csv") {
      auto& vendor_nodes = *config.mutable_scms_csv()->mutable_vendor_nodes();
      vendor_nodes["Aurobindo Pharma Limited"] = "VENDOR-A";
      vendor_nodes["SCMS from RDC"] = "RDC";
    }
    adapter = riskd::connectors::MakeFeedAdapter(config).value();
    riskd::engine::Network net;
    for (const char* id : {"VENDOR-A", "RDC"}) {
      riskd::engine::NodeAttributes a;
      a.id = id;
      (void)net.AddNode(a);
    }
    directory = riskd::connectors::NodeDirectory(net);
    types.names = {"supply", "logistics"};
    types.default_risk_type = "supply";
  }
};

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "invariant violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Fixture* fixture = [] {
    riskd::connectors::CaptureProtobufLogs();
    return new Fixture();
  }();
  const std::string_view document(reinterpret_cast<const char*>(data), size);
  auto batch = fixture->adapter->Parse(document);
  if (!batch.ok()) {
    if (batch.status().message().empty()) Fail("document refused without a reason", "");
    return 0;
  }
  for (const auto* issues : {&batch->rejected, &batch->skipped}) {
    for (const auto& issue : *issues) {
      if (issue.reason.empty()) Fail("entry refused without a reason", issue.feed_id);
    }
  }
  if (batch->envelope_index.size() != batch->envelopes.size()) {
    Fail("envelope_index does not match envelopes", std::to_string(batch->envelopes.size()));
  }
  for (const auto& envelope : batch->envelopes) {
    const riskd::Status st =
        riskd::connectors::ValidateEnvelope(envelope, fixture->directory, fixture->types);
    if (!st.ok() && st.code() != riskd::Status::Code::kNotFound) {
      Fail("the adapter emitted an envelope ingest refuses",
           st.ToString() + " for " + envelope.ShortDebugString());
    }
  }
  return 0;
}
