// Fuzz target for the config parser: text format -> riskd.v1.DaemonConfig ->
// ParseSettings (every row of the settings table and the rules across
// keys), as `riskd --config FILE` and `--check-config` run it. Invariant:
// a refusal says why.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "connectors/codec/protobuf_log.h"
#include "daemon/settings.h"
#include "tests/fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Relative paths resolve in an empty scratch directory: a config naming
  // files (server_cert) reads nothing there.
  static const riskd::fuzz::FuzzScratchDir* dir = [] {
    riskd::connectors::CaptureProtobufLogs();
    return new riskd::fuzz::FuzzScratchDir();
  }();
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto settings = riskd::daemon::ParseSettings(text, dir->path());
  if (!settings.ok() && settings.status().message().empty()) {
    std::fprintf(stderr, "invariant violated: config refused without a reason\n");
    std::abort();
  }
  return 0;
}
