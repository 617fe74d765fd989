// Fuzz target for one network importer (RISKD_FUZZ_IMPORTER: csv,
// willems2008, supplygraph or bea_io): the input holds the files the
// importer reads (fuzz_files.h), written to a scratch directory, then
// ImportNetwork runs as the daemon runs it on its configured source.
// Invariants (a violation aborts): a refusal says why; an imported network
// has only finite, positive edge weights between existing nodes.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "connectors/codec/protobuf_log.h"
#include "connectors/importers/importer.h"
#include "tests/fuzz/fuzz_files.h"

#ifndef RISKD_FUZZ_IMPORTER
#error "define RISKD_FUZZ_IMPORTER as the importer's format name"
#endif

namespace {

using riskd::fuzz::FuzzScratchDir;

// The files each format reads, in the order the input holds them.
struct Format {
  std::vector<std::string> files;
  riskd::v1::NetworkSource source;
};

Format MakeFormat(const std::string& name) {
  Format f;
  if (name == "csv") {
    f.files = {"nodes.csv", "edges.csv", "locations.csv"};
    f.source.mutable_csv()->set_nodes("nodes.csv");
    f.source.mutable_csv()->set_edges("edges.csv");
    f.source.set_locations_csv("locations.csv");
  } else if (name == "willems2008") {
    f.files = {"willems.csv"};
    f.source.mutable_willems2008()->set_file("willems.csv");
  } else if (name == "supplygraph") {
    f.files = {"nodes/nodes.csv", "nodes/nodes_type_plant_storage.csv",
               "temporal_data/weight/production.csv", "temporal_data/weight/factory_issue.csv"};
    f.source.mutable_supplygraph()->set_directory(".");
  } else if (name == "bea_io") {
    f.files = {"IODirectRequirements.txt", "IO-CodeSummary.txt", "IOUseSummary.txt"};
    f.source.mutable_bea_io()->set_directory(".");
  } else {
    std::fprintf(stderr, "unknown importer %s\n", name.c_str());
    std::abort();
  }
  return f;
}

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "invariant violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Format format = MakeFormat(RISKD_FUZZ_IMPORTER);
  static const FuzzScratchDir* dir = [] {
    riskd::connectors::CaptureProtobufLogs();
    return new FuzzScratchDir();
  }();
  const auto parts = riskd::fuzz::SplitFiles(
      std::string_view(reinterpret_cast<const char*>(data), size), format.files.size());
  for (std::size_t i = 0; i < parts.size(); ++i) dir->Write(format.files[i], parts[i]);
  auto network = riskd::connectors::ImportNetwork(format.source, dir->path());
  if (!network.ok()) {
    if (network.status().message().empty()) Fail("import refused without a reason", "");
    return 0;
  }
  if (network->csr_edge_count() != network->edge_count()) {
    Fail("the imported network is not compacted", std::to_string(network->edge_count()));
  }
  for (const auto& e : network->Edges()) {
    if (!(std::isfinite(e.weight) && e.weight > 0)) {
      Fail("edge weight not finite and positive", std::to_string(e.weight));
    }
    if (!network->alive(e.from) || !network->alive(e.to) || e.from == e.to) {
      Fail("edge between missing or equal nodes",
           std::to_string(e.from) + "->" + std::to_string(e.to));
    }
  }
  return 0;
}
