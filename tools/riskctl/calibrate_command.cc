#include "tools/riskctl/calibrate_command.h"

#include <google/protobuf/text_format.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <sstream>
#include <string>

#include "connectors/store/journal_cascades.h"
#include "connectors/store/state_store.h"
#include "daemon/settings.h"
#include "engine/calibration.h"

namespace riskd::tools {
namespace {

// value with `digits` significant digits, or with `digits` decimals if fixed.
std::string Number(double value, int digits, bool fixed = false) {
  std::ostringstream s;
  if (fixed) s << std::fixed;
  s << std::setprecision(digits) << value;
  return s.str();
}

// Four significant digits: what the snippet and the table print.
double Round4(double x) {
  if (!(x != 0) || !std::isfinite(x)) return x;
  const double scale = std::pow(10.0, 3 - std::floor(std::log10(std::fabs(x))));
  return std::round(x * scale) / scale;
}

std::string Interval(const engine::ParameterEstimate& p) {
  if (!p.fitted) return "(held at its current value)";
  if (p.at_bound) return "(at the bound of the search: not estimated)";
  if (std::isnan(p.lower)) return "(not identified by these cascades)";
  return "[" + Number(p.lower, 4) + ", " + Number(p.upper, 4) + "]";
}

}  // namespace

int RunCalibrate(const CalibrateArgs& args, std::ostream& out, std::ostream& err) {
  CalibrateArgs a = args;
  if (!std::filesystem::exists(a.db)) {
    err << "riskctl calibrate: no database at " << a.db << "\n";
    return 1;
  }

  // The current settings: the config's, or the daemon's defaults.
  daemon::DaemonSettings settings;
  if (!a.config.empty()) {
    auto loaded = daemon::LoadSettings(a.config);
    if (!loaded.ok()) {
      err << "riskctl calibrate: " << loaded.status().ToString() << "\n";
      return 1;
    }
    settings = std::move(*loaded);
  } else {
    settings.risk_type_resolver.names = {settings.engine.risk_types.front().name};
    settings.risk_type_resolver.default_risk_type = settings.engine.risk_types.front().name;
  }
  if (a.risk_type.empty()) a.risk_type = settings.risk_type_resolver.default_risk_type;
  const engine::RiskType* type = nullptr;
  for (const auto& t : settings.engine.risk_types) {
    if (t.name == a.risk_type) type = &t;
  }
  if (type == nullptr) {
    err << "riskctl calibrate: risk type '" << a.risk_type << "' is not configured"
        << (a.config.empty() ? " (pass the daemon's --config)" : "") << "\n";
    return 1;
  }

  auto store = connectors::StateStore::OpenReadOnly(a.db);
  if (!store.ok()) {
    err << "riskctl calibrate: " << store.status().ToString() << "\n";
    return 1;
  }
  auto network = (*store)->LoadNetwork();
  if (!network.ok()) {
    err << "riskctl calibrate: base network: " << network.status().ToString() << "\n";
    return 1;
  }
  auto journal = connectors::Journal::OpenReadOnly(a.db);
  if (!journal.ok()) {
    err << "riskctl calibrate: " << journal.status().ToString() << "\n";
    return 1;
  }
  connectors::CascadeExtractionOptions eo;
  eo.risk_type = a.risk_type;
  eo.step_seconds = settings.step_seconds;
  eo.gap_seconds = a.gap_days * 86400;
  eo.max_steps =
      std::max(1, static_cast<int>(std::ceil(a.max_days * 86400 / settings.step_seconds)));
  auto history =
      connectors::ExtractCascades(**journal, std::move(*network), settings.risk_type_resolver, eo);
  if (!history.ok()) {
    err << "riskctl calibrate: " << history.status().ToString() << "\n";
    return 1;
  }
  const double step_days = settings.step_seconds / 86400;
  out << "riskctl calibrate: risk type \"" << a.risk_type << "\", " << a.db << " ("
      << history->journal_rows << " journal rows), step " << Number(step_days, 6)
      << " days, cascades end after " << Number(a.gap_days, 6) << " quiet days\n";
  out << "history: " << history->events_of_risk_type << " status and disruption events of \""
      << a.risk_type << "\" in " << history->cascades.size() << " cascades; "
      << history->outside_cascades << " status changes outside any cascade, "
      << history->unknown_nodes << " reports of nodes no longer in the network, "
      << history->repeated_disruptions << " repeated disruptions skipped, "
      << history->dropped_cascades << " cascades dropped\n";
  if (history->cascades.empty()) {
    err << "riskctl calibrate: no cascades of risk type '" << a.risk_type
        << "' in the journal: nothing to fit\n";
    return 1;
  }

  engine::CalibrationOptions co;
  co.confidence = a.confidence;
  co.transmission.step_days = step_days;
  co.max_steps = std::max(co.max_steps, eo.max_steps + 1);
  auto fit = engine::Calibrate(history->network, *type, settings.engine.vulnerability,
                               history->cascades, co);
  if (!fit.ok()) {
    err << "riskctl calibrate: " << fit.status().ToString() << "\n";
    return 1;
  }
  const engine::FitDiagnostic& d = fit->diagnostic;
  out << "observations: " << d.onsets << " disruption reports (" << d.censored
      << " still disrupted at their cascade's end), " << d.recoveries << " recoveries, "
      << d.normal_reports << " normal reports; " << d.late_sources
      << " sources hit after their cascade began; " << d.conditional
      << " reports scored exactly given their suppliers' reports, the other "
      << d.onsets + d.normal_reports - d.conditional << " by DMP marginals\n\n";

  char line[256];
  std::snprintf(line, sizeof line, "%-10s %-10s %-34s %-10s %s\n", "parameter", "estimate",
                (Number(100 * a.confidence, 6) + "% interval").c_str(), "current",
                "effective cascades");
  out << line;
  for (const auto& p : fit->parameters) {
    std::snprintf(line, sizeof line, "%-10s %-10s %-34s %-10s %s\n", p.name.c_str(),
                  Number(Round4(p.value), 4).c_str(), Interval(p).c_str(),
                  Number(p.start, 6).c_str(),
                  std::isnan(p.lower) ? "" : Number(p.effective_cascades, 1, true).c_str());
    out << line;
  }
  out << "(kappa bounds sigma and rho of every node to [1/kappa, kappa]; it is shared by all"
         " risk types.\n effective cascades: how many equally informative cascades the interval"
         " is worth; few means\n a handful of large cascades carry the estimate)\n";
  out << "\nlog-likelihood at the estimate        " << Number(fit->log_likelihood, 2, true) << "\n";
  out << "log-likelihood at the current config  " << Number(fit->log_likelihood_start, 2, true)
      << "  (likelihood ratio " << Number(fit->likelihood_ratio, 2, true)
      << ", p = " << Number(fit->likelihood_ratio_p, 2) << ": "
      << (fit->likelihood_ratio_p < 1 - a.confidence
              ? "the history rejects the current config"
              : "the current config is consistent with the history")
      << ")\n";
  out << "variance inflation (dependence within cascades): "
      << Number(fit->variance_inflation, 2, true) << "\n";
  out << "fit: expected " << Number(d.expected_disrupted, 1, true) << " disrupted where "
      << Number(d.observed_disrupted, 1, true) << " were reported; mean onset step expected "
      << Number(d.mean_onset_expected, 2, true) << ", reported "
      << Number(d.mean_onset_observed, 2, true) << "; " << d.unexplained
      << " reports the fit finds nearly impossible\n";
  out << "by predicted probability of disruption (each node when its state was last known):\n";
  for (const auto& b : d.bins) {
    if (b.nodes == 0) continue;
    std::snprintf(line, sizeof line, "  [%.2f, %.2f)  %8zu nodes  predicted %.3f  reported %.3f\n",
                  b.lower, b.upper, b.nodes, b.predicted, b.observed);
    out << line;
  }
  out << (fit->converged ? "converged" : "NOT converged (evaluation budget spent)") << " after "
      << fit->evaluations << " likelihood evaluations"
      << (fit->identified ? "" : "; not identified") << "\n\n";

  // The snippet: the risk type as configured, with the fitted rates.
  riskd::v1::RiskTypeConfig rt;
  rt.set_name(a.risk_type);
  for (const auto& written : settings.config.risk_types()) {
    if (written.name() == a.risk_type) rt = written;
  }
  rt.set_alpha(Round4(fit->estimate.alpha));
  rt.set_beta(Round4(fit->estimate.beta));
  riskd::v1::DaemonConfig snippet;
  *snippet.add_risk_types() = rt;
  // Kappa sits with the vulnerability settings (as configured, if any).
  *snippet.mutable_vulnerability() = settings.config.vulnerability();
  snippet.mutable_vulnerability()->set_kappa(Round4(fit->estimate.kappa));
  std::string text;
  google::protobuf::TextFormat::Printer printer;
  printer.PrintToString(snippet, &text);
  out << "# Config snippet (protobuf text format, riskd.v1.DaemonConfig): replace the\n"
      << "# risk_types entry \"" << a.risk_type << "\" and the vulnerability block of the\n"
      << "# daemon's config with it (kappa applies to every risk type).\n"
      << text;
  return 0;
}

}  // namespace riskd::tools
