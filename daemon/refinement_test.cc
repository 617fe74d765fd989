#include "daemon/refinement.h"

#include <gtest/gtest.h>

#include "daemon/settings.h"

namespace riskd::daemon {
namespace {

riskd::v1::ProjectionSummary Summary(
    double expected, int at_risk, bool checked,
    riskd::v1::ProjectionMethod method = riskd::v1::PROJECTION_METHOD_DMP) {
  riskd::v1::ProjectionSummary s;
  s.set_expected_disrupted(expected);
  s.set_nodes_at_risk(at_risk);
  s.set_checked(checked);
  s.set_unchecked_regions(checked ? 0 : 1);
  s.set_method(method);
  return s;
}

// The planner's defaults: 0.5 nodes and 10% of the larger value.
TEST(RefinementTest, SummaryDiffersMateriallyOnlyByTheDocumentedRule) {
  const PlannerSettings planner;
  const auto published = Summary(20.0, 12, false);
  // Still unchecked, same figures within the planner's rule: nothing.
  EXPECT_FALSE(SummaryMateriallyDiffers(published, Summary(20.0, 12, false), false, planner));
  EXPECT_FALSE(SummaryMateriallyDiffers(published, Summary(21.9, 12, false), false, planner));
  EXPECT_FALSE(SummaryMateriallyDiffers(published, Summary(18.1, 12, false), false, planner));
  // Expected disrupted moved by 10% of the larger value (and >= 0.5).
  EXPECT_TRUE(SummaryMateriallyDiffers(published, Summary(22.3, 12, false), false, planner));
  EXPECT_TRUE(SummaryMateriallyDiffers(published, Summary(17.9, 12, false), false, planner));
  // On small numbers the 0.5-node floor holds: 1.0 -> 1.4 is not material.
  EXPECT_FALSE(
      SummaryMateriallyDiffers(Summary(1.0, 1, false), Summary(1.4, 1, false), false, planner));
  EXPECT_TRUE(
      SummaryMateriallyDiffers(Summary(1.0, 1, false), Summary(1.6, 1, false), false, planner));
  // Nodes at risk, method, alerts changed: material.
  EXPECT_TRUE(SummaryMateriallyDiffers(published, Summary(20.0, 11, false), false, planner));
  EXPECT_TRUE(SummaryMateriallyDiffers(
      published, Summary(20.0, 12, false, riskd::v1::PROJECTION_METHOD_MIXED), false, planner));
  EXPECT_TRUE(SummaryMateriallyDiffers(published, Summary(20.0, 12, false), true, planner));
  // Becoming checked is news once; checked to checked is not.
  EXPECT_TRUE(SummaryMateriallyDiffers(published, Summary(20.0, 12, true), false, planner));
  EXPECT_FALSE(
      SummaryMateriallyDiffers(Summary(20.0, 12, true), Summary(20.0, 12, true), false, planner));
  // The planner's thresholds are the ones used.
  PlannerSettings strict;
  strict.min_change_nodes = 0;
  strict.min_change_fraction = 0;
  EXPECT_TRUE(SummaryMateriallyDiffers(published, Summary(20.01, 12, false), false, strict));
}

TEST(RefinementTest, SchedulerRefinesWhenIdleAndWithinItsShareWhenBusy) {
  RefineScheduler scheduler;
  RefineSettings settings;
  settings.busy_share = 0.25;
  EXPECT_TRUE(scheduler.MayRefine(false, settings));
  // Busy: a slice is allowed while slices took <= 25% of the rounds' time.
  EXPECT_TRUE(scheduler.MayRefine(true, settings));  // 0 <= 0
  scheduler.SliceDone(0.010);
  EXPECT_FALSE(scheduler.MayRefine(true, settings));  // 10 ms > 25% of 0
  scheduler.RoundDone(0.030);
  EXPECT_FALSE(scheduler.MayRefine(true, settings));  // 10 ms > 7.5 ms
  scheduler.RoundDone(0.010);
  EXPECT_TRUE(scheduler.MayRefine(true, settings));  // 10 ms <= 10 ms
  EXPECT_TRUE(scheduler.MayRefine(false, settings));
  // Share 0: never while events wait.
  settings.busy_share = 0;
  EXPECT_FALSE(scheduler.MayRefine(true, settings));
  EXPECT_TRUE(scheduler.MayRefine(false, settings));
  // Idle ends the busy period.
  settings.busy_share = 0.25;
  scheduler.SliceDone(1.0);
  EXPECT_FALSE(scheduler.MayRefine(true, settings));
  scheduler.Idle();
  EXPECT_TRUE(scheduler.MayRefine(true, settings));
}

}  // namespace
}  // namespace riskd::daemon
