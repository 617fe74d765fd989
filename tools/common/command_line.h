// Command-line parsing shared by riskd, riskctl and riskd-feed: CLI11 with
// one set of conventions. --help and --version print to stdout and exit 0;
// an unknown flag, a missing value or a bad number prints what is wrong
// (and "Run with --help for more information.") to stderr and exits 2.
//
// Thread-safety: call from main() only.
#ifndef RISKD_TOOLS_COMMON_COMMAND_LINE_H_
#define RISKD_TOOLS_COMMON_COMMAND_LINE_H_

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>

namespace riskd::tools {

// riskd's version, for every tool's --version.
inline std::string VersionLine(const std::string& tool) { return tool + " " RISKD_VERSION; }

// A finite number in [min, max], a whole one when `integer` (CLI11's own
// range checks word "abc" as out of range).
inline CLI::Validator Number(double min, double max = HUGE_VAL, bool integer = false) {
  const std::string what = std::string(integer ? "an integer" : "a number") +
                           " >= " + CLI::detail::to_string(min) +
                           (max < HUGE_VAL ? " and <= " + CLI::detail::to_string(max) : "");
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || !std::isfinite(v) || v < min || v > max ||
            (integer && v != std::floor(v))) {
          return "'" + text + "' is not " + what;
        }
        return "";
      },
      integer ? "INTEGER" : "NUMBER");
}
inline CLI::Validator Integer(double min, double max = HUGE_VAL) { return Number(min, max, true); }

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
