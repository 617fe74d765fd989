// `riskctl calibrate`: fits a risk type's rates alpha, beta and the
// heterogeneity bound kappa to the cascades in the daemon's journal
// (connectors/store/journal_cascades.h, engine/calibration.h) and prints
// the estimates with intervals, the log-likelihood against the current
// config, a fit diagnostic and a config snippet (protobuf text format) the
// daemon accepts.
//
//   riskctl calibrate --db PATH [--risk-type NAME] [--config FILE]
//                     [--gap-days D] [--max-days D] [--confidence C]
//
// (options in CalibrateArgs; riskctl.cc parses them). Exit status: 0 on
// success, 1 when the journal holds no usable cascade or something failed.
#ifndef RISKD_TOOLS_RISKCTL_CALIBRATE_COMMAND_H_
#define RISKD_TOOLS_RISKCTL_CALIBRATE_COMMAND_H_

#include <ostream>
#include <string>

namespace riskd::tools {

struct CalibrateArgs {
  // The daemon's SQLite database (journal and base network); read only.
  std::string db;
  // Default: the config's default risk type ("supply" without a config).
  std::string risk_type;
  // The daemon's config file: the risk type's current rates, layers and
  // direction, kappa, the step and the risk type resolution (hazards).
  // Empty: the built-in defaults.
  std::string config;
  // A cascade ends after this many days without an event, > 0.
  double gap_days = 14;
  // Longest cascade in days, > 0.
  double max_days = 365;
  // Level of the intervals, in (0, 1).
  double confidence = 0.95;
};

int RunCalibrate(const CalibrateArgs& args, std::ostream& out, std::ostream& err);

}  // namespace riskd::tools

#endif  // RISKD_TOOLS_RISKCTL_CALIBRATE_COMMAND_H_
