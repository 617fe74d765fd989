#include "engine/reports.h"

#include <gtest/gtest.h>

namespace riskd::engine {
namespace {

std::vector<Report> Sorted(std::vector<Report> in) {
  std::vector<Report> out;
  std::uint64_t order = 0;
  for (Report r : in) {
    r.order = ++order;
    InsertReport(&out, r);
  }
  return out;
}

Report Disrupted(Step at, double severity, Step duration = 0) {
  return {.at = at, .state = NodeState::kDisrupted, .severity = severity, .duration = duration};
}
Report Recovered(Step at) { return {.at = at, .state = NodeState::kRecovered}; }
Report Normal(Step at) { return {.at = at, .state = NodeState::kSusceptible}; }

TEST(ReportsTest, LateReportsArePlacedAtTheirTime) {
  // Arrival order: recovered at 12, then the disruption at 10 it ends.
  const auto reports = Sorted({Recovered(12), Disrupted(10, 0.8)});
  ASSERT_EQ(reports[0].at, 10);
  const NodeHistory h = ReduceReports(reports, 20, 0);
  EXPECT_TRUE(h.disrupted);
  EXPECT_EQ(h.onset, 10);
  EXPECT_EQ(h.end, 12);
  EXPECT_EQ(ObservationAt(h, 11).state, NodeState::kDisrupted);
  EXPECT_EQ(ObservationAt(h, 12).state, NodeState::kRecovered);
  EXPECT_EQ(ObservationAt(h, 12).since, 12);
}

TEST(ReportsTest, AWeakerReportDuringAnEpisodeKeepsTheLargerSeverity) {
  const NodeHistory h = ReduceReports(Sorted({Disrupted(3, 0.9), Disrupted(5, 0.1, 4)}), 6, 0);
  EXPECT_EQ(h.onset, 3);
  EXPECT_EQ(h.severity, 0.9);
  EXPECT_EQ(h.end, 9);  // the duration it gave
  const Observation o = ObservationAt(h, 6);
  EXPECT_EQ(o.state, NodeState::kDisrupted);
  EXPECT_EQ(o.severity, 0.9);
  EXPECT_EQ(o.until, 9);
}

TEST(ReportsTest, ExpectedDurationEndsTheEpisode) {
  const NodeHistory h = ReduceReports(Sorted({Disrupted(4, 1.0, 3)}), 10, 0);
  EXPECT_EQ(h.end, 7);
  EXPECT_EQ(ObservationAt(h, 6).state, NodeState::kDisrupted);
  EXPECT_EQ(ObservationAt(h, 7).state, NodeState::kRecovered);
  // A disruption after the end is a new episode.
  const NodeHistory again = ReduceReports(Sorted({Disrupted(4, 1.0, 3), Disrupted(8, 0.5)}), 10, 0);
  EXPECT_EQ(again.onset, 8);
  EXPECT_EQ(again.severity, 0.5);
  EXPECT_EQ(again.end, kNoStep);
}

TEST(ReportsTest, NormalReportsEndEpisodesOrMarkTheNodeSusceptible) {
  const NodeHistory ended = ReduceReports(Sorted({Disrupted(2, 1.0), Normal(5)}), 9, 0);
  EXPECT_TRUE(ended.disrupted);
  EXPECT_EQ(ended.end, 5);
  const NodeHistory normal = ReduceReports(Sorted({Normal(5)}), 9, 0);
  EXPECT_FALSE(normal.disrupted);
  EXPECT_EQ(normal.normal_at, 5);
  EXPECT_EQ(ObservationAt(normal, 9).state, NodeState::kSusceptible);
  // Recovered in the step it was hit: no episode, recovered.
  const NodeHistory instant = ReduceReports(Sorted({Disrupted(4, 1.0), Recovered(4)}), 9, 0);
  EXPECT_FALSE(instant.disrupted);
  EXPECT_EQ(instant.recovered_at, 4);
}

TEST(ReportsTest, ReportsBeforeTheWindowAreHistoryOnly) {
  auto reports = Sorted({Disrupted(1, 1.0), Disrupted(2, 0.5, 20), Normal(3)});
  // Window from 10: the open report is history; the one of known duration
  // still runs (from 10 to 22).
  const NodeHistory h = ReduceReports(reports, 15, 10);
  EXPECT_TRUE(h.disrupted);
  EXPECT_EQ(h.onset, 10);
  EXPECT_EQ(h.severity, 0.5);
  EXPECT_EQ(h.end, 22);
  PruneReports(&reports, 10);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].at, 2);
  // Pruning changes nothing the reduction sees, now or later.
  EXPECT_EQ(ReduceReports(reports, 15, 10).end, 22);
  PruneReports(&reports, 22);
  EXPECT_TRUE(reports.empty());
  EXPECT_TRUE(ReduceReports(reports, 30, 22).empty());
}

TEST(ReportsTest, ReportsAheadOfTheClockCountAsNow) {
  const NodeHistory h = ReduceReports(Sorted({Disrupted(12, 1.0)}), 10, 0);
  EXPECT_EQ(h.onset, 10);
}

}  // namespace
}  // namespace riskd::engine
