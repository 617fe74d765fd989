// Command-line parsing shared by riskd, riskctl and riskd-feed: CLI11 with
// one set of conventions. --help and --version print to stdout and exit 0;
// an unknown flag, a missing value or a bad number prints what is wrong
// (and "Run with --help for more information.") to stderr and exits 2.
//
// Thread-safety: call from main() only.
#ifndef RISKD_TOOLS_COMMON_COMMAND_LINE_H_
#define RISKD_TOOLS_COMMON_COMMAND_LINE_H_

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace riskd::tools {

// riskd's version, for every tool's --version.
inline std::string VersionLine(const std::string& tool) { return tool + " " RISKD_VERSION; }

// Parses argv into `app` (which should have had set_version_flag called).
// nullopt: go on; otherwise the exit status to return from main().
inline std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    (void)app.exit(e);
    return 2;
  }
}

}  // namespace riskd::tools

#endif  // RISKD_TOOLS_COMMON_COMMAND_LINE_H_
