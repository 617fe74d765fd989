#include "engine/calibration.h"

// Eigen for the small covariance algebra; see vulnerability.cc for why the
// diagnostic is relaxed around the include.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <Eigen/Dense>
#pragma GCC diagnostic pop
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "engine/special_functions.h"
#include "engine/state.h"

namespace riskd::engine {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Upper edges of the diagnostic's bins of predicted probability.
constexpr std::array<double, 9> kBinEdges = {0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0};

std::string CascadeName(std::size_t c) { return "cascade " + std::to_string(c); }

// q (1 - q)^(recovery - onset - 1) for a reported recovery, else the
// probability (1 - q)^(end - onset) of still being disrupted at the end.
double RecoveryProbability(double q, int onset, int recovery, int end) {
  if (recovery >= 0) return q * std::pow(1.0 - q, recovery - onset - 1);
  return std::pow(1.0 - q, end - onset);
}

// One observation as the likelihood scores it.
struct Scored {
  enum class Kind { kOnset, kNormal, kSourceRecovery };
  Kind kind = Kind::kOnset;
  NodeIndex node = kNoNode;
  int step = 0;       // onset, or the normal report's step
  int recovery = -1;  // kOnset, kSourceRecovery
  double severity = 1;
  // Every in-neighbour's state is known for as long as it matters: scored
  // by its exact conditional probability from the exposures
  // [exposure_begin, exposure_end) of PreparedCascade::exposures; else by
  // DMP marginals.
  bool conditional = false;
  std::uint32_t exposure_begin = 0, exposure_end = 0;
};

// An in-edge of a scored node whose source was reported infectious during
// steps [from, until) (until: its recovery, or past the end).
struct Exposure {
  EdgeIndex edge = kNoEdge;
  int from = 0;
  int until = 0;
};

struct PreparedCascade {
  InitialState initial;            // sources at step 0 infected
  std::vector<NodeIndex> sources;  // those sources
  std::vector<Scored> scored;
  std::vector<Exposure> exposures;
  bool needs_dmp = false;  // some observation is scored by DMP marginals
  int end = 0;
  std::size_t late_sources = 0;
};

// Sum over exposures of log(1 - p) per step of attempts before step x:
// ln P(not hit by x | the reported neighbours), attempts at steps 0..x-1.
double LogNotHitBy(const TransmissionGraph& g, std::span<const Exposure> exposures, int x) {
  double sum = 0;
  for (const Exposure& e : exposures) {
    const int steps = std::min(e.until, x) - e.from;
    if (steps > 0) sum += steps * std::log1p(-g.p[e.edge]);
  }
  return sum;
}

// P(hit during the attempts at step x - 1 | not hit before): 1 - prod of
// (1 - p) over the neighbours infectious at step x - 1.
double HitAt(const TransmissionGraph& g, std::span<const Exposure> exposures, int x) {
  double keep = 0;
  for (const Exposure& e : exposures) {
    if (e.from <= x - 1 && x - 1 < e.until) keep += std::log1p(-g.p[e.edge]);
  }
  return -std::expm1(keep);
}

// The model probabilities an observation is scored with.
struct ObservationProbability {
  double model = 0;  // P of what was seen (before the epsilon floor)
  // P(disrupted by the step the node's state is last known) and whether it
  // was reported disrupted (its severity) or not (0); sources: unused.
  double predicted_disrupted = 0;
  double observed_disrupted = 0;
  // Onsets: expected onset step given a disruption by the end.
  double expected_onset = 0;
  bool conditional = false;
};

}  // namespace

Status ValidateCalibrationOptions(const CalibrationOptions& o) {
  auto bounds_ok = [](double lo, double hi) {
    return lo > 0 && std::isfinite(lo) && std::isfinite(hi) && lo <= hi;
  };
  if (!bounds_ok(o.min_alpha, o.max_alpha)) {
    return Status::InvalidArgument("calibration: alpha bounds must satisfy 0 < min <= max < inf");
  }
  if (!bounds_ok(o.min_beta, o.max_beta)) {
    return Status::InvalidArgument("calibration: beta bounds must satisfy 0 < min <= max < inf");
  }
  if (!bounds_ok(o.min_kappa, o.max_kappa) || o.min_kappa < 1) {
    return Status::InvalidArgument("calibration: kappa bounds must satisfy 1 <= min <= max < inf");
  }
  if (!(o.confidence > 0 && o.confidence < 1)) {
    return Status::InvalidArgument("calibration: confidence must be in (0, 1)");
  }
  if (!(o.min_probability > 0 && o.min_probability < 1)) {
    return Status::InvalidArgument("calibration: min_probability must be in (0, 1)");
  }
  if (!(o.dmp_tolerance >= 0) || !(o.derivative_step > 0) || !(o.unexplained_below >= 0)) {
    return Status::InvalidArgument(
        "calibration: dmp_tolerance and unexplained_below must be >= 0, derivative_step > 0");
  }
  if (o.max_steps < 1) return Status::InvalidArgument("calibration: max_steps must be >= 1");
  if (!(o.transmission.step_days > 0)) {
    return Status::InvalidArgument("calibration: step_days must be > 0");
  }
  return Status::Ok();
}

Status ValidateCascades(const Network& network, std::span<const ObservedCascade> cascades,
                        const CalibrationOptions& options) {
  if (cascades.empty()) return Status::InvalidArgument("calibration: no cascades");
  std::vector<std::uint8_t> seen(network.node_slots(), 0);
  for (std::size_t c = 0; c < cascades.size(); ++c) {
    const ObservedCascade& k = cascades[c];
    const std::string where = CascadeName(c);
    if (k.sources.empty()) return Status::InvalidArgument(where + ": no sources");
    if (k.end < 0 || k.end > options.max_steps) {
      return Status::InvalidArgument(where + ": end " + std::to_string(k.end) + " outside 0.." +
                                     std::to_string(options.max_steps));
    }
    auto check_node = [&](NodeIndex v, const char* what) -> Status {
      if (!network.alive(v)) {
        return Status::InvalidArgument(where + ": " + what + ": node index " + std::to_string(v) +
                                       " is not in the network");
      }
      return Status::Ok();
    };
    auto check_step = [&](int step, const char* what) -> Status {
      if (step < 0 || step > k.end) {
        return Status::InvalidArgument(where + ": " + what + " step " + std::to_string(step) +
                                       " outside 0..end (" + std::to_string(k.end) + ")");
      }
      return Status::Ok();
    };
    int first_onset = std::numeric_limits<int>::max();
    std::vector<NodeIndex> listed;
    for (const auto* list : {&k.sources, &k.disrupted}) {
      const char* what = list == &k.sources ? "source" : "disrupted";
      for (const DisruptionReport& r : *list) {
        RISKD_RETURN_IF_ERROR(check_node(r.node, what));
        RISKD_RETURN_IF_ERROR(check_step(r.onset, what));
        if (r.recovery != -1) {
          RISKD_RETURN_IF_ERROR(check_step(r.recovery, "recovery"));
          if (r.recovery <= r.onset) {
            return Status::InvalidArgument(where + ": node " + std::string(network.id(r.node)) +
                                           " recovers at step " + std::to_string(r.recovery) +
                                           ", not after its onset " + std::to_string(r.onset));
          }
        }
        if (!(r.severity > 0 && r.severity <= 1)) {
          return Status::InvalidArgument(where + ": node " + std::string(network.id(r.node)) +
                                         ": severity must be in (0, 1]");
        }
        if (seen[r.node]) {
          for (NodeIndex v : listed) seen[v] = 0;
          return Status::InvalidArgument(where + ": node " + std::string(network.id(r.node)) +
                                         " is reported disrupted twice (or as a source too)");
        }
        seen[r.node] = 1;
        listed.push_back(r.node);
        if (list == &k.sources) first_onset = std::min(first_onset, r.onset);
      }
    }
    for (NodeIndex v : listed) seen[v] = 0;
    if (first_onset != 0) {
      return Status::InvalidArgument(where + ": the earliest source onset must be step 0, not " +
                                     std::to_string(first_onset));
    }
    for (const NormalReport& r : k.normal) {
      RISKD_RETURN_IF_ERROR(check_node(r.node, "normal"));
      RISKD_RETURN_IF_ERROR(check_step(r.step, "normal"));
    }
  }
  return Status::Ok();
}

struct CascadeLikelihood::Impl {
  const Network& network;
  RiskType type;
  CalibrationOptions options;
  // Centrality and omega once; sigma and rho for the bound `kappa`.
  Vulnerability vulnerability;
  double kappa;
  bool uniform;
  std::vector<PreparedCascade> cascades;
  // Double messages, not the projections' float: the likelihood must be
  // smooth in alpha at the scale of its finite differences (dmp.h).
  DmpWorkspace workspace;
  std::vector<double> trajectories;
  // Node -> index of its trajectory in the current run, -1 if not touched.
  std::vector<std::int32_t> slot;
  std::vector<NodeIndex> slotted;

  Impl(const Network& net, const RiskType& t, const VulnerabilityOptions& vo,
       const CalibrationOptions& o)
      : network(net),
        type(t),
        options(o),
        vulnerability(ComputeVulnerability(net, t.layers, vo)),
        kappa(vo.kappa),
        uniform(vo.mode == VulnerabilityOptions::Mode::kUniform),
        slot(net.node_slots(), -1) {}

  // What the reports say about a node's infectious steps.
  struct Known {
    enum class State : std::uint8_t { kUnknown, kInfectious, kNormal };
    State state = State::kUnknown;
    int from = 0, until = 0;  // kInfectious: steps [from, until)
    int normal_through = -1;  // kNormal: not disrupted at steps <= this
  };

  // Which observations can be scored exactly given their in-neighbours'
  // reports (and with which exposures); the rest need DMP.
  void Condition(const TransmissionGraph& g, const std::vector<Known>& known, PreparedCascade* p) {
    for (Scored& o : p->scored) {
      if (o.kind == Scored::Kind::kSourceRecovery) continue;
      // Attempts at steps 0 .. o.step - L - 1 decide the observation.
      const int last = o.step - g.latency[o.node] - 1;
      bool all_known = true;
      for (EdgeIndex e = g.in_begin(o.node); e < g.in_end(o.node) && all_known; ++e) {
        const Known& k = known[g.source[e]];
        all_known = k.state == Known::State::kInfectious ||
                    (k.state == Known::State::kNormal && k.normal_through >= last);
      }
      if (!all_known) {
        p->needs_dmp = true;
        continue;
      }
      o.conditional = true;
      o.exposure_begin = static_cast<std::uint32_t>(p->exposures.size());
      for (EdgeIndex e = g.in_begin(o.node); e < g.in_end(o.node); ++e) {
        const Known& k = known[g.source[e]];
        if (k.state == Known::State::kInfectious) p->exposures.push_back({e, k.from, k.until});
      }
      o.exposure_end = static_cast<std::uint32_t>(p->exposures.size());
    }
  }

  void Prepare(std::vector<ObservedCascade> observed) {
    std::vector<int> latest_normal(network.node_slots(), -1);
    std::vector<std::uint8_t> disrupted(network.node_slots(), 0);
    std::vector<Known> known(network.node_slots());
    // The arcs do not depend on the rates: one graph gives the structure.
    const TransmissionGraph structure = Graph({type.alpha, type.beta, kappa});
    for (ObservedCascade& k : observed) {
      PreparedCascade p;
      p.end = k.end;
      std::vector<Observation> obs(network.node_slots());
      std::vector<std::int32_t> start(network.node_slots(), 0);
      for (const DisruptionReport& s : k.sources) {
        disrupted[s.node] = 1;
        // A later source starts at its onset (InitialState::start): shielded
        // before, infectious from then on.
        obs[s.node] = {NodeState::kDisrupted, s.severity};
        start[s.node] = s.onset;
        p.late_sources += s.onset > 0;
        p.sources.push_back(s.node);
        p.scored.push_back(
            {Scored::Kind::kSourceRecovery, s.node, s.onset, s.recovery, s.severity});
      }
      for (const DisruptionReport& r : k.disrupted) {
        disrupted[r.node] = 1;
        p.scored.push_back({Scored::Kind::kOnset, r.node, r.onset, r.recovery, r.severity});
      }
      std::vector<NodeIndex> normal_nodes;
      for (const NormalReport& r : k.normal) {
        if (disrupted[r.node]) continue;
        if (latest_normal[r.node] < 0) normal_nodes.push_back(r.node);
        latest_normal[r.node] = std::max(latest_normal[r.node], r.step);
      }
      std::sort(normal_nodes.begin(), normal_nodes.end());
      for (NodeIndex v : normal_nodes) {
        p.scored.push_back({Scored::Kind::kNormal, v, latest_normal[v], -1, 1});
        latest_normal[v] = -1;
      }
      for (const auto* list : {&k.sources, &k.disrupted}) {
        for (const DisruptionReport& r : *list) {
          disrupted[r.node] = 0;
          // Certain reports only: an uncertain one leaves the state open.
          if (r.severity == 1) {
            known[r.node] = {Known::State::kInfectious, r.onset,
                             r.recovery >= 0 ? r.recovery : k.end + 1, -1};
          }
        }
      }
      for (const Scored& o : p.scored) {
        if (o.kind == Scored::Kind::kNormal) known[o.node] = {Known::State::kNormal, 0, 0, o.step};
      }
      Condition(structure, known, &p);
      for (const Scored& o : p.scored) known[o.node] = Known{};
      p.initial = InitialState::FromObservations(network, obs);
      if (p.late_sources > 0) p.initial.start = std::move(start);
      cascades.push_back(std::move(p));
    }
  }

  TransmissionGraph Graph(const ModelParameters& m) {
    if (!uniform && m.kappa != kappa) {
      kappa = m.kappa;
      ApplyHeterogeneityBound(network, kappa, &vulnerability);
    }
    RiskType t = type;
    t.alpha = m.alpha;
    t.beta = m.beta;
    return BuildTransmissionGraph(network, t, vulnerability, options.transmission);
  }

  // Runs DMP for cascade c and calls fn(scored, probabilities) for each of
  // its observations.
  // With `diagnose`, also fills the fields only the diagnostic reads.
  template <typename Fn>
  void ForEachObservation(const TransmissionGraph& g, const PreparedCascade& c, bool diagnose,
                          Fn fn) {
    DmpOptions d;
    d.horizon = std::max(1, c.end);
    d.tolerance = options.dmp_tolerance;
    const std::size_t stride = static_cast<std::size_t>(d.horizon) + 1;
    if (c.needs_dmp) {
      const DmpRegion region = RunDmpRegion(g, c.initial, c.sources, d, &workspace, &trajectories);
      for (std::size_t x = 0; x < region.touched_count; ++x) {
        slot[region.nodes[x]] = static_cast<std::int32_t>(x);
        slotted.push_back(region.nodes[x]);
      }
    }
    // P(not hit by t) of the observed node: exact given its neighbours'
    // reports, else the DMP marginal P_S(t) (before step 0 and for
    // untouched nodes, P_S(0)).
    const Scored* current = nullptr;
    auto ps = [&](NodeIndex v, int t) {
      if (current->conditional) {
        return t <= 0 ? 1.0 : std::exp(LogNotHitBy(g, Exposures(c, *current), t));
      }
      const std::int32_t s = slot[v];
      if (t <= 0 || s < 0) return c.initial.p_s[v];
      return trajectories[static_cast<std::size_t>(s) * stride +
                          static_cast<std::size_t>(std::min(t, d.horizon))];
    };
    // P(hit during the attempts at step t - 1).
    auto hit_at = [&](NodeIndex v, int t) {
      if (t <= 0) return 0.0;
      if (current->conditional) return ps(v, t - 1) * HitAt(g, Exposures(c, *current), t);
      return std::max(0.0, ps(v, t - 1) - ps(v, t));
    };
    for (const Scored& o : c.scored) {
      current = &o;
      const int L = g.latency[o.node];
      ObservationProbability p;
      p.conditional = o.conditional;
      switch (o.kind) {
        case Scored::Kind::kSourceRecovery:
          p.model = RecoveryProbability(g.q[o.node], o.step, o.recovery, c.end);
          break;
        case Scored::Kind::kNormal:
          p.model = ps(o.node, o.step - L);
          p.predicted_disrupted = 1 - p.model;
          break;
        case Scored::Kind::kOnset: {
          const double onset = hit_at(o.node, o.step - L);
          const double recovery = RecoveryProbability(g.q[o.node], o.step, o.recovery, c.end);
          p.model = o.severity * onset * recovery + (1 - o.severity) * ps(o.node, o.step - L);
          p.predicted_disrupted = 1 - ps(o.node, c.end - L);
          p.observed_disrupted = o.severity;
          if (!diagnose) break;
          double mass = 0, weighted = 0;
          for (int t = 1; t <= c.end; ++t) {
            const double at = hit_at(o.node, t - L);
            mass += at;
            weighted += at * t;
          }
          p.expected_onset = mass > 0 ? weighted / mass : kNaN;
          break;
        }
      }
      fn(o, p);
    }
    for (NodeIndex v : slotted) slot[v] = -1;
    slotted.clear();
  }

  static std::span<const Exposure> Exposures(const PreparedCascade& c, const Scored& o) {
    return {c.exposures.data() + o.exposure_begin, c.exposures.data() + o.exposure_end};
  }

  double Floored(double p) const {
    return std::log((1 - options.min_probability) * p + options.min_probability);
  }
};

CascadeLikelihood::CascadeLikelihood(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CascadeLikelihood::~CascadeLikelihood() = default;

Result<std::unique_ptr<CascadeLikelihood>> CascadeLikelihood::Create(
    const Network& network, const RiskType& type, const VulnerabilityOptions& vulnerability,
    std::vector<ObservedCascade> cascades, const CalibrationOptions& options) {
  if (!network.compacted()) {
    return Status::FailedPrecondition("calibration: the network must be compacted");
  }
  RISKD_RETURN_IF_ERROR(ValidateCalibrationOptions(options));
  RISKD_RETURN_IF_ERROR(ValidateRiskType(type));
  RISKD_RETURN_IF_ERROR(ValidateVulnerabilityOptions(vulnerability));
  RISKD_RETURN_IF_ERROR(ValidateCascades(network, cascades, options));
  auto impl = std::make_unique<Impl>(network, type, vulnerability, options);
  impl->Prepare(std::move(cascades));
  return std::unique_ptr<CascadeLikelihood>(new CascadeLikelihood(std::move(impl)));
}

std::size_t CascadeLikelihood::cascade_count() const { return impl_->cascades.size(); }

std::vector<double> CascadeLikelihood::Evaluate(const ModelParameters& m) {
  const TransmissionGraph g = impl_->Graph(m);
  impl_->workspace.Prepare(g);
  std::vector<double> out;
  out.reserve(impl_->cascades.size());
  for (const PreparedCascade& c : impl_->cascades) {
    double ll = 0;
    impl_->ForEachObservation(g, c, false, [&](const Scored&, const ObservationProbability& p) {
      ll += impl_->Floored(p.model);
    });
    out.push_back(ll);
  }
  return out;
}

double CascadeLikelihood::Total(const ModelParameters& m) {
  const auto each = Evaluate(m);
  return std::accumulate(each.begin(), each.end(), 0.0);
}

FitDiagnostic CascadeLikelihood::Diagnose(const ModelParameters& m) {
  FitDiagnostic d;
  d.cascades = impl_->cascades.size();
  d.bins.resize(kBinEdges.size());
  for (std::size_t b = 0; b < kBinEdges.size(); ++b) {
    d.bins[b].lower = b == 0 ? 0 : kBinEdges[b - 1];
    d.bins[b].upper = kBinEdges[b];
  }
  const TransmissionGraph g = impl_->Graph(m);
  impl_->workspace.Prepare(g);
  double onset_sum = 0, expected_onset_sum = 0;
  std::size_t onset_count = 0;
  for (const PreparedCascade& c : impl_->cascades) {
    d.late_sources += c.late_sources;
    impl_->ForEachObservation(g, c, true, [&](const Scored& o, const ObservationProbability& p) {
      if (o.recovery >= 0) ++d.recoveries;
      if (o.kind == Scored::Kind::kSourceRecovery) return;
      // Unexplained: the model says it should not have happened at all (a
      // single onset or recovery step is unlikely by itself).
      const double happened =
          o.kind == Scored::Kind::kOnset ? p.predicted_disrupted : 1 - p.predicted_disrupted;
      if (happened < impl_->options.unexplained_below) ++d.unexplained;
      if (p.conditional) ++d.conditional;
      if (o.kind == Scored::Kind::kOnset) {
        ++d.onsets;
        if (o.recovery < 0) ++d.censored;
        if (std::isfinite(p.expected_onset)) {
          onset_sum += o.step;
          expected_onset_sum += p.expected_onset;
          ++onset_count;
        }
      } else {
        ++d.normal_reports;
      }
      d.expected_disrupted += p.predicted_disrupted;
      d.observed_disrupted += p.observed_disrupted;
      auto bin = std::upper_bound(kBinEdges.begin(), kBinEdges.end(), p.predicted_disrupted);
      CalibrationBin& b = d.bins[std::min<std::size_t>(
          static_cast<std::size_t>(bin - kBinEdges.begin()), kBinEdges.size() - 1)];
      ++b.nodes;
      b.predicted += p.predicted_disrupted;
      b.observed += p.observed_disrupted;
    });
  }
  for (CalibrationBin& b : d.bins) {
    if (b.nodes == 0) continue;
    b.predicted /= static_cast<double>(b.nodes);
    b.observed /= static_cast<double>(b.nodes);
  }
  if (onset_count > 0) {
    d.mean_onset_observed = onset_sum / static_cast<double>(onset_count);
    d.mean_onset_expected = expected_onset_sum / static_cast<double>(onset_count);
  }
  return d;
}

namespace {

// A fitted parameter on the log scale, with its bounds.
struct Coordinate {
  std::size_t parameter;  // index into the parameter list
  double lower, upper;    // log bounds
};

}  // namespace

Result<CalibrationResult> Calibrate(const Network& network, const RiskType& type,
                                    const VulnerabilityOptions& vulnerability,
                                    std::vector<ObservedCascade> cascades,
                                    const CalibrationOptions& options) {
  auto created =
      CascadeLikelihood::Create(network, type, vulnerability, std::move(cascades), options);
  if (!created.ok()) return created.status();
  CascadeLikelihood& likelihood = **created;

  CalibrationResult out;
  out.start = {type.alpha, type.beta, vulnerability.kappa};
  const bool uniform = vulnerability.mode == VulnerabilityOptions::Mode::kUniform;
  // The parameter list: names, start values, bounds, fitted or not.
  struct Spec {
    const char* name;
    double start, lower, upper;
    bool fitted;
  };
  const std::vector<Spec> specs = {
      {"alpha", type.alpha, options.min_alpha, options.max_alpha, options.fit_alpha},
      {"beta", type.beta, options.min_beta, options.max_beta, options.fit_beta},
      {"kappa", vulnerability.kappa, options.min_kappa, options.max_kappa,
       options.fit_kappa && !uniform},
  };
  auto to_parameters = [&](const std::vector<double>& values) {
    return ModelParameters{values[0], values[1], values[2]};
  };
  std::vector<Coordinate> coords;
  std::vector<double> base(specs.size());
  std::vector<double> u0;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    base[i] = specs[i].start;
    if (!specs[i].fitted) continue;
    const Coordinate c{i, std::log(specs[i].lower), std::log(specs[i].upper)};
    coords.push_back(c);
    const double start = specs[i].start > 0 ? std::log(specs[i].start) : c.lower;
    u0.push_back(std::clamp(start, c.lower, c.upper));
  }
  auto values_at = [&](const std::vector<double>& u) {
    std::vector<double> v = base;
    for (std::size_t k = 0; k < coords.size(); ++k) {
      v[coords[k].parameter] = std::exp(std::clamp(u[k], coords[k].lower, coords[k].upper));
    }
    return v;
  };
  int evaluations = 0;
  auto objective = [&](const std::vector<double>& u) {
    ++evaluations;
    double outside = 0;
    for (std::size_t k = 0; k < coords.size(); ++k) {
      const double c = std::clamp(u[k], coords[k].lower, coords[k].upper);
      outside += (u[k] - c) * (u[k] - c);
    }
    // Outside the bounds: the value at the nearest bound, made worse with
    // the distance so the simplex comes back.
    return -likelihood.Total(to_parameters(values_at(u))) + 1e3 * outside;
  };
  const NelderMeadResult search = NelderMead(objective, u0, options.search);
  std::vector<double> u_hat(coords.size());
  for (std::size_t k = 0; k < coords.size(); ++k) {
    u_hat[k] = std::clamp(search.x[k], coords[k].lower, coords[k].upper);
  }
  const std::vector<double> hat = values_at(u_hat);
  out.estimate = to_parameters(hat);
  out.converged = search.converged;
  const std::vector<double> ll_hat = likelihood.Evaluate(out.estimate);
  out.log_likelihood = std::accumulate(ll_hat.begin(), ll_hat.end(), 0.0);
  out.log_likelihood_start = likelihood.Total(out.start);
  out.diagnostic = likelihood.Diagnose(out.estimate);

  // Interior coordinates: the finite differences stay within the bounds.
  const double h = options.derivative_step;
  std::vector<std::size_t> interior;
  std::vector<bool> at_bound(coords.size(), false);
  for (std::size_t k = 0; k < coords.size(); ++k) {
    at_bound[k] = u_hat[k] - 2 * h < coords[k].lower || u_hat[k] + 2 * h > coords[k].upper;
    if (!at_bound[k]) interior.push_back(k);
  }
  const std::size_t m = interior.size();
  const std::size_t n = ll_hat.size();
  // Per-cascade scores and (negated) Hessians by central differences; the
  // total Hessian is their sum.
  const auto size = static_cast<Eigen::Index>(m);
  Eigen::MatrixXd scores = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(n), size);
  std::vector<Eigen::MatrixXd> curvature(n, Eigen::MatrixXd::Zero(size, size));
  auto shifted = [&](std::initializer_list<std::pair<std::size_t, double>> moves) {
    std::vector<double> u = u_hat;
    for (const auto& [k, by] : moves) u[k] += by;
    ++evaluations;
    return likelihood.Evaluate(to_parameters(values_at(u)));
  };
  for (std::size_t a = 0; a < m; ++a) {
    const std::size_t k = interior[a];
    const auto plus = shifted({{k, h}}), minus = shifted({{k, -h}});
    const auto ia = static_cast<Eigen::Index>(a);
    for (std::size_t c = 0; c < n; ++c) {
      scores(static_cast<Eigen::Index>(c), ia) = (plus[c] - minus[c]) / (2 * h);
      curvature[c](ia, ia) = -(plus[c] - 2 * ll_hat[c] + minus[c]) / (h * h);
    }
    for (std::size_t b = 0; b < a; ++b) {
      const std::size_t l = interior[b];
      const auto pp = shifted({{k, h}, {l, h}}), pm = shifted({{k, h}, {l, -h}});
      const auto mp = shifted({{k, -h}, {l, h}}), mm = shifted({{k, -h}, {l, -h}});
      const auto ib = static_cast<Eigen::Index>(b);
      for (std::size_t c = 0; c < n; ++c) {
        curvature[c](ia, ib) = curvature[c](ib, ia) =
            -(pp[c] - pm[c] - mp[c] + mm[c]) / (4 * h * h);
      }
    }
  }
  out.evaluations = evaluations;
  Eigen::MatrixXd hessian = Eigen::MatrixXd::Zero(size, size);
  for (const auto& c : curvature) hessian += c;

  // Covariance: the jackknife over cascades with one Newton step per
  // left-out cascade, delta_c = (H - H_c)^-1 g_c (the "CR3" cluster-robust
  // estimator): a sandwich that stays valid when nodes of a cascade are
  // dependent, and less optimistic than H^-1 J H^-1 with few cascades.
  auto positive_definite = [](const Eigen::MatrixXd& a) {
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(a);
    return eig.info() == Eigen::Success && eig.eigenvalues().minCoeff() > 0;
  };
  Eigen::MatrixXd covariance;
  Eigen::MatrixXd deltas(static_cast<Eigen::Index>(n), size);
  if (m > 0 && n > m && positive_definite(hessian)) {
    out.identified = true;
    const Eigen::MatrixXd inverse = hessian.inverse();
    for (std::size_t c = 0; c < n; ++c) {
      const Eigen::MatrixXd rest = hessian - curvature[c];
      const Eigen::VectorXd g = scores.row(static_cast<Eigen::Index>(c)).transpose();
      deltas.row(static_cast<Eigen::Index>(c)) =
          (positive_definite(rest) ? Eigen::VectorXd(rest.ldlt().solve(g))
                                   : Eigen::VectorXd(inverse * g))
              .transpose();
    }
    const Eigen::MatrixXd centered = deltas.rowwise() - deltas.colwise().mean();
    covariance =
        centered.transpose() * centered * (static_cast<double>(n - 1) / static_cast<double>(n));
    // Against the naive (independent-node) covariance H^-1.
    out.variance_inflation = (covariance * hessian).trace() / static_cast<double>(m);
  }
  std::size_t fitted = 0;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    ParameterEstimate e;
    e.name = specs[i].name;
    e.value = hat[i];
    e.start = specs[i].start;
    e.fitted = specs[i].fitted;
    e.lower = e.upper = e.log_standard_error = kNaN;
    if (e.fitted) {
      ++fitted;
      const std::size_t k = static_cast<std::size_t>(
          std::find_if(coords.begin(), coords.end(),
                       [&](const Coordinate& c) { return c.parameter == i; }) -
          coords.begin());
      e.at_bound = at_bound[k];
      const auto a = std::find(interior.begin(), interior.end(), k);
      if (out.identified && a != interior.end()) {
        const auto ia = static_cast<Eigen::Index>(a - interior.begin());
        e.log_standard_error = std::sqrt(covariance(ia, ia));
        // Student t rather than the normal, with the effective number of
        // cascades less one as its degrees of freedom: the cascades'
        // shares of the variance are unequal (a few large cascades carry
        // most of the information), and G* = (sum d_c^2)^2 / sum d_c^4
        // counts them as equals would (Carter, Schnepel & Steigerwald
        // 2017; with equal shares, the usual G - 1 of Cameron & Miller).
        double sum2 = 0, sum4 = 0;
        for (Eigen::Index c = 0; c < deltas.rows(); ++c) {
          const double d2 = deltas(c, ia) * deltas(c, ia);
          sum2 += d2;
          sum4 += d2 * d2;
        }
        e.effective_cascades = sum4 > 0 ? sum2 * sum2 / sum4 : static_cast<double>(n);
        const double z =
            StudentTQuantile(0.5 + options.confidence / 2, std::max(1.0, e.effective_cascades - 1));
        e.lower = std::exp(std::max(coords[k].lower, u_hat[k] - z * e.log_standard_error));
        e.upper = std::exp(std::min(coords[k].upper, u_hat[k] + z * e.log_standard_error));
      }
    }
    out.parameters.push_back(e);
  }
  const double ratio = std::max(0.0, 2 * (out.log_likelihood - out.log_likelihood_start));
  out.likelihood_ratio = ratio / (out.identified ? out.variance_inflation : 1.0);
  out.likelihood_ratio_p =
      fitted > 0 ? ChiSquareSurvival(out.likelihood_ratio, static_cast<double>(fitted)) : 1.0;
  return out;
}

}  // namespace riskd::engine
