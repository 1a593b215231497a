#include "http/transfer_budget.h"

#include <algorithm>

namespace berth::http {

TransferBudget::Duration TransferBudget::next_wait() const {
  if (min_rate_ == 0) return stall_limit_;
  using Seconds = std::chrono::duration<double>;
  // In seconds as doubles: no overflow for any byte count or rate, and far finer than needed.
  const double earned = static_cast<double>(bytes_) / static_cast<double>(min_rate_);
  const double left = Seconds(stall_limit_).count() + earned - Seconds(waited_).count();
  if (left <= 0) return Duration::zero();
  if (left >= Seconds(stall_limit_).count()) return stall_limit_;
  return std::chrono::duration_cast<Duration>(Seconds(left));
}

}  // namespace berth::http
