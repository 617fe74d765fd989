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
// --db          the daemon's SQLite database (journal and base network);
//               read only, safe while the daemon runs
// --risk-type   default: the config's default risk type ("supply")
// --config      the daemon's config: the current rates, layers and
//               direction of the risk type, its step, risk type resolution
//               (hazards); without it the built-in defaults
// --gap-days    a cascade ends after this many days without an event (14)
// --max-days    longest cascade (365)
// --confidence  level of the intervals (0.95)
//
// Exit status: 0 on success, 1 when the journal holds no usable cascade or
// something failed, 2 on usage errors.
#ifndef RISKD_TOOLS_RISKCTL_CALIBRATE_COMMAND_H_
#define RISKD_TOOLS_RISKCTL_CALIBRATE_COMMAND_H_

#include <ostream>

namespace riskd::tools {

// args: what follows "calibrate" on the command line.
int RunCalibrate(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace riskd::tools

#endif  // RISKD_TOOLS_RISKCTL_CALIBRATE_COMMAND_H_
