// Output codec: engine results as riskd.v1 messages (Alert, Incident,
// ProjectionSummary, NodeRisk, ImmunizationPlan) and the PUB topics they are
// published under.
#ifndef RISKD_CONNECTORS_CODEC_OUTPUT_CODEC_H_
#define RISKD_CONNECTORS_CODEC_OUTPUT_CODEC_H_

#include <cstdint>
#include <string>

#include "engine/engine.h"
#include "engine/immunization/planner.h"
#include "engine/incidents.h"
#include "riskd/v1/envelope.pb.h"
#include "riskd/v1/outputs.pb.h"

namespace riskd::connectors {

// What the engine does not know but every output carries.
struct OutputContext {
  double step_seconds = 86400;
  std::uint64_t journal_seq = 0;
  std::int64_t computed_at_unix_ns = 0;
};

// The start of the model clock's current step (engine.now() steps of
// step_seconds from the Unix epoch): what eta_steps count from.
std::int64_t ModelTimeUnixNs(const engine::Engine& engine, double step_seconds);

// "<risk_type>/<node_id>/<raised_journal_seq>": stable over the alert's lifecycle.
std::string AlertId(const std::string& risk_type, const std::string& node_id,
                    std::uint64_t raised_journal_seq);

// An alert or incident level on the wire (riskd.v1.Severity: the output
// level, named severity in the proto; common.proto says why).
riskd::v1::Severity ToProtoLevel(engine::AlertLevel level);
riskd::v1::NodeState ToNodeState(engine::NodeState state);
riskd::v1::ProjectionMethod ToMethod(engine::ProjectionMethod method);

// A pushed alert change, with its incident, value at risk, plan, cause
// (shares and triggering events) and watchlists. REQUIRES: the risk type
// has been projected.
riskd::v1::Alert MakeAlert(const engine::Engine& engine, const engine::IncidentBook& book,
                           int risk_type, const engine::AlertPush& push, const OutputContext& ctx);
// An incident as published (or answered to IncidentQuery), built into
// `out`, a new or cleared message: one on an arena is built there, its
// parts too (a round publishes thousands of incidents, each allocated and
// freed field by field on the heap otherwise; bench/README.md "pubcost").
void FillIncident(const engine::Engine& engine, const engine::IncidentBook& book,
                  const engine::Incident& incident, const OutputContext& ctx,
                  riskd::v1::Incident* out);
void FillIncidentNode(const engine::Network& network, const engine::IncidentNode& node,
                      riskd::v1::IncidentNode* out);
void FillEmergencyPlan(const engine::Network& network, const engine::EmergencyPlans& plans,
                       const engine::PlanInstance& plan, riskd::v1::EmergencyPlan* out);
riskd::v1::ProjectionSummary MakeSummary(const engine::Engine& engine, int risk_type,
                                         const OutputContext& ctx, double compute_ms);
riskd::v1::NodeRisk MakeNodeRisk(const engine::Engine& engine, int risk_type,
                                 engine::NodeIndex node);
// MakeNodeRisk into `r`, every field it sets set (on a cleared message the
// same bytes): a message reused after Clear() is filled without allocating
// (RiskDeltaTracker builds ~100k a round on a big region).
void FillNodeRisk(const engine::Engine& engine, int risk_type, engine::NodeIndex node,
                  riskd::v1::NodeRisk* r);
// `plan` was made for `k` targets on the engine's current network; strategy
// is "state_aware/<step rule>".
riskd::v1::ImmunizationPlan MakePlan(const engine::Engine& engine, int risk_type, int k,
                                     const engine::immunization::Plan& plan,
                                     const OutputContext& ctx);

// Topics: alert.<info|warning|critical>.<risk_type>.<node_id>,
// incident.<info|warning|critical>.<risk_type>,
// projection.summary.<risk_type>, immunization.<risk_type>,
// footprint.<risk_type>, risk.<risk_type>.
std::string AlertTopic(const riskd::v1::Alert& alert);
std::string IncidentTopic(const riskd::v1::Incident& incident);
// "info", "warning" or "critical" (unspecified counts as info): the level
// in topics and Alertmanager's severity label.
std::string LevelWord(riskd::v1::Severity level);
std::string SummaryTopic(const std::string& risk_type);
std::string PlanTopic(const std::string& risk_type);
std::string FootprintTopic(const std::string& risk_type);
std::string RiskTopic(const std::string& risk_type);

// A node's attributes as the NodeSpec of network changes and queries (the
// inverse of ToNodeAttributes in event_codec.h).
void ToNodeSpec(const engine::NodeAttributes& attributes, riskd::v1::NodeSpec* spec);

void SetTimestamp(std::int64_t unix_ns, google::protobuf::Timestamp* ts);

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_CODEC_OUTPUT_CODEC_H_
