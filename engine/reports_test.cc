#include "engine/reports.h"

#include <gtest/gtest.h>

#include <array>
#include <random>

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

// Everything ReduceReports says, for comparing two report lists.
std::string Said(const NodeHistory& h) {
  return std::to_string(h.disrupted) + " " + std::to_string(h.onset) + " " +
         std::to_string(h.severity) + " " + std::to_string(h.end) + " " +
         std::to_string(h.recovered_at) + " " + std::to_string(h.normal_at);
}

TEST(ReportsTest, FoldingRunsWithinAStepChangesNothingReduceSays) {
  // Random reports over three steps, mostly in time order (as the engine
  // appends them, folding the tail) with some late ones (inserted, not
  // folded): for every now and window start, the folded list says what
  // the full list says.
  std::mt19937_64 rng(20261130);
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<Report> full, folded;
    std::uint64_t order = 0;
    Step latest = 0;
    const int count = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < count; ++i) {
      Report r;
      const bool late = rng() % 8 == 0;
      r.at = late ? static_cast<Step>(rng() % 3) : std::min<Step>(2, latest + (rng() % 6 == 0));
      r.state = std::array{NodeState::kDisrupted, NodeState::kRecovered,
                           NodeState::kSusceptible}[rng() % 3];
      r.severity = r.state == NodeState::kDisrupted ? 0.1 * static_cast<double>(1 + rng() % 10) : 1;
      r.duration = r.state == NodeState::kDisrupted && rng() % 6 == 0 ? 1 + rng() % 3 : 0;
      r.order = ++order;
      InsertReport(&full, r);
      if (folded.empty() || folded.back().at <= r.at) {
        latest = std::max(latest, r.at);
        folded.push_back(r);
        FoldSameStepTail(&folded);
      } else {
        InsertReport(&folded, r);
      }
    }
    for (Step now = 0; now <= 4; ++now) {
      for (Step window_start = 0; window_start <= now; ++window_start) {
        ASSERT_EQ(Said(ReduceReports(full, now, window_start)),
                  Said(ReduceReports(folded, now, window_start)))
            << "trial " << trial << " now " << now << " window start " << window_start;
      }
    }
  }
}

TEST(ReportsTest, ManyReportsWithinOneStepKeepAFewAndSayTheSame) {
  std::vector<Report> full, folded;
  std::uint64_t order = 0;
  for (int i = 0; i < 1000; ++i) {
    Report r = i % 2 ? Recovered(7) : Disrupted(7, 0.5 + 0.0005 * i);
    r.order = ++order;
    full.push_back(r);
    folded.push_back(r);
    FoldSameStepTail(&folded);
  }
  EXPECT_EQ(folded.size(), 4u);  // D X D X
  EXPECT_EQ(Said(ReduceReports(full, 9, 0)), Said(ReduceReports(folded, 9, 0)));
}

}  // namespace
}  // namespace riskd::engine
