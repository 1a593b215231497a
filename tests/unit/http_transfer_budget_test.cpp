// TransferBudget: the rule that cuts off trickling peers but not slow real ones.
#include <gtest/gtest.h>

#include "http/transfer_budget.h"

namespace berth::http {
namespace {

using namespace std::chrono_literals;

TEST(TransferBudget, EachWaitIsCappedByTheStallLimit) {
  TransferBudget budget(60s, 1024);
  EXPECT_EQ(budget.next_wait(), 60s);
  budget.record(1s, 10 * 1024 * 1024);  // plenty of credit: still no single wait beyond 60 s
  EXPECT_EQ(budget.next_wait(), 60s);
}

TEST(TransferBudget, ATrickleRunsOutOfTime) {
  // 1 KiB/s required, 10 s stall limit: a peer that sends 100 bytes every 5 s (20 B/s),
  // a pause well under the stall limit, is cut off once its 10 s + 100 B/1024 B/s per
  // piece are used up: after two pieces and a last wait of 0.2 s that brings nothing.
  TransferBudget budget(10s, 1024);
  int waits = 0;
  while (budget.next_wait() > TransferBudget::Duration::zero() && waits < 1000) {
    const auto wait = budget.next_wait();
    if (wait >= 5s) {
      budget.record(5s, 100);  // the next piece arrives within the wait
    } else {
      budget.record(wait, 0);  // the wait ends before the piece: nothing came
    }
    ++waits;
  }
  EXPECT_LT(waits, 1000) << "a 20 B/s trickle was never cut off";
  EXPECT_EQ(waits, 3);
  EXPECT_EQ(budget.bytes(), 200u);
  EXPECT_GT(budget.waited(), 10s);
  EXPECT_LT(budget.waited(), 10s + 250ms);
}

TEST(TransferBudget, ASteadySlowClientAboveTheRateNeverRunsOut) {
  // 2 KiB every second against a 1 KiB/s minimum, for a day.
  TransferBudget budget(10s, 1024);
  for (int second = 0; second < 86400; ++second) {
    ASSERT_GT(budget.next_wait(), 0s) << "cut off after " << second << " s";
    budget.record(1s, 2048);
  }
}

TEST(TransferBudget, AFastStartPaysForALaterPause) {
  TransferBudget budget(10s, 1024);
  budget.record(1s, 1024 * 1024);  // 1 MiB in a second earns 1024 s
  budget.record(10s, 0);           // a pause as long as the stall limit
  EXPECT_EQ(budget.next_wait(), 10s);
  budget.record(1015s, 0);  // 10 s + 1024 s allowed, 1026 s waited: 8 s are left
  EXPECT_EQ(budget.next_wait(), 8s);
  budget.record(budget.next_wait(), 0);
  EXPECT_EQ(budget.next_wait(), 0s);
}

TEST(TransferBudget, WithoutARateOnlyTheStallLimitApplies) {
  TransferBudget budget(3s, 0);
  budget.record(100000s, 1);
  EXPECT_EQ(budget.next_wait(), 3s);
}

TEST(TransferBudget, ResetStartsANewTransfer) {
  TransferBudget budget(2s, 1000);
  budget.record(5s, 0);
  EXPECT_EQ(budget.next_wait(), 0s);
  budget.reset();
  EXPECT_EQ(budget.next_wait(), 2s);
  EXPECT_EQ(budget.bytes(), 0u);
}

TEST(TransferBudget, HugeCountsDoNotOverflow) {
  TransferBudget budget(60s, 1);
  budget.record(1s, ~std::uint64_t{0});
  EXPECT_EQ(budget.next_wait(), 60s);
  TransferBudget fast(60s, ~std::uint64_t{0});
  fast.record(61s, 1);
  EXPECT_EQ(fast.next_wait(), 0s);
}

}  // namespace
}  // namespace berth::http
