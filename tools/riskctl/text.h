// riskctl's text for people: one line per published message (`riskctl tail`)
// and the rendering of query answers (`riskctl query --text`, `riskctl
// incident list|show`). Names come with ids ("ECU-NGO (Nagoya ECU
// assembly)"), cause paths show the dependency share of each step, and
// incidents come before the nodes they own.
//
// Pure functions of the messages; thread-safe.
#ifndef RISKD_TOOLS_RISKCTL_TEXT_H_
#define RISKD_TOOLS_RISKCTL_TEXT_H_

#include <string>

#include "riskd/v1/envelope.pb.h"
#include "riskd/v1/outputs.pb.h"

namespace riskd::riskctl {

// "ECU-NGO (Nagoya ECU assembly)", or the id alone when the name is the id
// or empty.
std::string NodeLabel(const std::string& id, const std::string& name);

// One line; "#<sequence> " first for published messages (snapshots hold
// bodies without a sequence).
std::string Describe(const riskd::v1::Publication& publication);

// An incident for people: its line, then its plans, top nodes and operator
// history, indented.
std::string DescribeIncident(const riskd::v1::Incident& incident, bool details);

// A query's answer: the snapshot (incidents first, then the sites hit, the
// pushed alerts, summaries and plans), node risks, summaries, a plan, or an
// incident with its nodes.
std::string ResponseText(const riskd::v1::QueryResponse& response);

}  // namespace riskd::riskctl

#endif  // RISKD_TOOLS_RISKCTL_TEXT_H_
