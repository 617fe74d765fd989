// Calibration: fits a risk type's infection rate alpha, its recovery rate
// beta and the heterogeneity bound kappa (vulnerability.h: sigma and rho in
// [1/kappa, kappa]) to observed disruption cascades by maximum likelihood
// (docs/model.md section 12 writes the likelihood out).
//
// A cascade is what was observed after one outside shock: its sources (onset
// step, severity), the nodes reported disrupted (onset step, recovery step
// if reported), and nodes reported normal at some step. Times are model
// steps relative to the cascade's start. Each report j contributes the
// probability of what was seen (onset at t: N(t-L-1) - N(t-L); normal at t:
// N(t-L); recovery after d steps: q (1-q)^(d-1), still disrupted at the
// end: (1-q)^(end-onset)), mixed with a floor epsilon, N(t) being P(not hit
// by t): exact given the reports of j's suppliers when every supplier
// reported (then, under complete reporting, the product is the cascade's
// exact likelihood), else the DMP marginal P_S(t) (a composite likelihood:
// such nodes are treated as independent given the sources). The maximum is
// found by Nelder-Mead on log-parameters within bounds; intervals are Wald
// intervals (Student t with the effective number of cascades less one as
// degrees of freedom) from a cluster-robust covariance: the jackknife over
// cascades, each left-out fit approximated by one Newton step
// (H - H_c)^-1 g_c from per-cascade scores g_c and Hessians H_c. Like the
// sandwich H^-1 J H^-1 it stays valid when nodes within a cascade are
// dependent (cascades are independent), and it is less optimistic with few
// cascades.
//
// Pure: no I/O, no clocks, no globals. A CascadeLikelihood is not
// thread-safe (it owns DMP scratch); Calibrate is a pure function.
#ifndef RISKD_ENGINE_CALIBRATION_H_
#define RISKD_ENGINE_CALIBRATION_H_

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/dmp.h"
#include "engine/nelder_mead.h"
#include "engine/network.h"
#include "engine/risk_type.h"
#include "engine/transmission.h"
#include "engine/vulnerability.h"

namespace riskd::engine {

// A node reported disrupted, with its onset (and recovery) step.
struct DisruptionReport {
  NodeIndex node = kNoNode;
  // Step at which it was reported disrupted, >= 0 (sources: the step the
  // shock hit it).
  int onset = 0;
  // Step at which it was reported recovered (back to normal), > onset; -1
  // when still disrupted at the cascade's end (censored).
  int recovery = -1;
  // Probability in (0, 1] that the report is true (a partial outage or an
  // unconfirmed report).
  double severity = 1.0;
};

// A node reported normal (not disrupted) at a step.
struct NormalReport {
  NodeIndex node = kNoNode;
  int step = 0;
};

struct ObservedCascade {
  // Disrupted from outside the network (a hazard). At least one; the
  // earliest onset is the cascade's step 0.
  std::vector<DisruptionReport> sources;
  // Other nodes reported disrupted, each at most once, none a source.
  std::vector<DisruptionReport> disrupted;
  // Nodes reported normal. Reports of a node that is also reported
  // disrupted are implied by its onset and ignored; of several reports of
  // one node the latest counts (it implies the others).
  std::vector<NormalReport> normal;
  // Last step observed (>= every step above): recoveries not reported by
  // then are censored here, and DMP runs to this horizon.
  int end = 0;
};

// The fitted quantities: the risk type's rates and the heterogeneity bound
// (VulnerabilityOptions::kappa, shared by every risk type).
struct ModelParameters {
  double alpha = 0.8;
  double beta = 0.3;
  double kappa = 2.0;
};

struct CalibrationOptions {
  // Which parameters are fitted; the others stay at their start values.
  bool fit_alpha = true;
  bool fit_beta = true;
  // Ignored (kappa not fitted) when vulnerability is uniform: it has no
  // effect there.
  bool fit_kappa = true;
  // Search bounds (inclusive), > 0; kappa >= 1.
  double min_alpha = 1e-3, max_alpha = 100;
  double min_beta = 1e-3, max_beta = 10;
  double min_kappa = 1, max_kappa = 100;
  // Two-sided confidence level of the intervals, in (0, 1).
  double confidence = 0.95;
  // epsilon: every observation's probability is (1 - epsilon) P + epsilon,
  // so an observation the model cannot explain (e.g. a node disrupted by an
  // unreported cause) costs log(epsilon) instead of -infinity. In (0, 1).
  double min_probability = 1e-6;
  // A disruption report whose node the model gives less than this
  // probability of being disrupted by the end (or a normal report it gives
  // less than this probability of being normal) counts as unexplained in
  // the diagnostic.
  double unexplained_below = 1e-3;
  // DMP message tolerance (dmp.h); small, so the likelihood is smooth.
  double dmp_tolerance = 1e-12;
  // Longest cascade accepted, in steps (the DMP horizon). >= 1.
  int max_steps = 1000;
  // The search, in log-parameter space.
  NelderMeadOptions search{
      .initial_step = 0.5, .x_tolerance = 1e-4, .f_tolerance = 1e-6, .max_evaluations = 600};
  // Finite-difference step for scores and the Hessian, in log-parameter
  // space. > 0.
  double derivative_step = 1e-3;
  // Onset delays (inventory cover) in steps of this many days.
  TransmissionOptions transmission{.step_days = 1.0, .keep_shares = false};
};

Status ValidateCalibrationOptions(const CalibrationOptions& options);

// Checks node indices (alive), steps (0 <= step <= end <= max_steps,
// recovery > onset), severities, duplicates; says which cascade and what.
Status ValidateCascades(const Network& network, std::span<const ObservedCascade> cascades,
                        const CalibrationOptions& options);

// What the model predicted for the observations, at some parameters.
struct CalibrationBin {
  double lower = 0, upper = 0;  // predicted probability range [lower, upper)
  std::size_t nodes = 0;
  double predicted = 0;  // mean predicted probability of being disrupted
  double observed = 0;   // fraction reported disrupted
};

struct FitDiagnostic {
  std::size_t cascades = 0;
  std::size_t onsets = 0;          // disruption reports scored (sources excluded)
  std::size_t recoveries = 0;      // recovery reports (sources included)
  std::size_t censored = 0;        // disrupted nodes still disrupted at the end
  std::size_t normal_reports = 0;  // normal reports scored (after dropping implied ones)
  // Sources whose onset is after their cascade's step 0 (a later shock of
  // the same cascade): they start there (InitialState::start).
  std::size_t late_sources = 0;
  // Reports the model finds nearly impossible (unexplained_below).
  std::size_t unexplained = 0;
  // Disruption and normal reports scored exactly given their in-neighbours'
  // reports; the others (some in-neighbour's state unknown) by DMP
  // marginals.
  std::size_t conditional = 0;
  // Every scored node at the step its state is last known (disrupted: the
  // cascade's end; normal: its report): the expected number disrupted by
  // then against the number reported disrupted, overall and by bins of the
  // predicted probability.
  double expected_disrupted = 0;
  double observed_disrupted = 0;
  std::vector<CalibrationBin> bins;
  // Over the disruption reports: mean reported onset step against the mean
  // onset the model expects given a disruption by the end.
  double mean_onset_observed = 0;
  double mean_onset_expected = 0;
};

// Per-cascade log-likelihoods at given parameters. Built once for a network,
// risk type and set of cascades (validated), evaluated many times.
class CascadeLikelihood {
 public:
  static Result<std::unique_ptr<CascadeLikelihood>> Create(
      const Network& network, const RiskType& type, const VulnerabilityOptions& vulnerability,
      std::vector<ObservedCascade> cascades, const CalibrationOptions& options);
  ~CascadeLikelihood();

  // log L_c(parameters) for every cascade, in order.
  std::vector<double> Evaluate(const ModelParameters& parameters);
  double Total(const ModelParameters& parameters);
  // Predicted against observed, at the parameters.
  FitDiagnostic Diagnose(const ModelParameters& parameters);
  std::size_t cascade_count() const;

 private:
  struct Impl;
  explicit CascadeLikelihood(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct ParameterEstimate {
  std::string name;  // "alpha", "beta", "kappa"
  double value = 0;
  double start = 0;  // the value calibration started from (the current config)
  bool fitted = false;
  // Interval at options.confidence: exp of log(value) -/+ t * SE, t the
  // Student quantile with effective_cascades - 1 degrees of freedom (at
  // least 1), clipped to the bounds. NaN when not fitted, at a bound or
  // not identified.
  double lower = 0, upper = 0;
  // How many equally informative cascades the estimate's variance is worth:
  // (sum_c d_c^2)^2 / sum_c d_c^4, d_c the cascade's jackknife shift.
  double effective_cascades = 0;
  // Standard error of log(value) (jackknife over cascades); NaN as above.
  double log_standard_error = 0;
  bool at_bound = false;  // the estimate sits on a search bound
};

struct CalibrationResult {
  ModelParameters start;
  ModelParameters estimate;
  std::vector<ParameterEstimate> parameters;  // alpha, beta, kappa
  double log_likelihood = 0;                  // at the estimate
  double log_likelihood_start = 0;            // at the start (the current config)
  // Likelihood-ratio statistic of the start against the estimate, divided
  // by variance_inflation (the first-order correction for a composite
  // likelihood; 1 for a true likelihood), and its chi-square p-value with
  // one degree of freedom per fitted parameter.
  double likelihood_ratio = 0;
  double likelihood_ratio_p = 1;
  // Mean eigenvalue of V H, V the covariance of the intervals, H^-1 the
  // naive one (nodes independent): how much the dependence between nodes
  // of a cascade inflates the variance.
  double variance_inflation = 1;
  // The Hessian is negative definite over the interior fitted parameters.
  bool identified = false;
  bool converged = false;
  int evaluations = 0;
  FitDiagnostic diagnostic;  // at the estimate
};

// Fits from the start values type.alpha, type.beta, vulnerability.kappa.
// REQUIRES (CascadeLikelihood too): network outlives the call (object).
Result<CalibrationResult> Calibrate(const Network& network, const RiskType& type,
                                    const VulnerabilityOptions& vulnerability,
                                    std::vector<ObservedCascade> cascades,
                                    const CalibrationOptions& options = {});

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_CALIBRATION_H_
