#pragma once
// Nexmark q17: unbounded group-by aggregations, updated at every bid.
#include <spate/spate.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include "queries_stateless.hpp"
#include "rows.hpp"

namespace nexmark {

/// The day of a time in ms (days since the epoch, UTC): the key part that
/// DATE_FORMAT(dateTime, 'yyyy-MM-dd') stands for.
inline std::int64_t day_number(std::int64_t ms) { return ms >= 0 ? ms / 86'400'000 : (ms - 86'399'999) / 86'400'000; }

// q17: auction statistics per auction and day.
struct q17_stats {
  struct acc {
    std::int64_t key = 0, total = 0, r1 = 0, r2 = 0, r3 = 0, sum = 0;
    std::int64_t min = std::numeric_limits<std::int64_t>::max(), max = std::numeric_limits<std::int64_t>::min();
    std::int64_t any_time = 0;
  };
  acc create_accumulator() const { return {}; }
  acc add(const bid& b, acc a) const {
    a.key = b.auction;
    a.any_time = b.date_time;
    ++a.total;
    a.r1 += b.price < 10'000;
    a.r2 += b.price >= 10'000 && b.price < 1'000'000;
    a.r3 += b.price >= 1'000'000;
    a.min = std::min(a.min, b.price);
    a.max = std::max(a.max, b.price);
    a.sum += b.price;
    return a;
  }
  q17_row get_result(const acc& a) const {
    return {a.key, format_day(a.any_time), a.total, a.r1, a.r2, a.r3, a.min, a.max, a.sum / a.total, a.sum};
  }
  acc merge(acc a, const acc& b) const {
    a.total += b.total, a.r1 += b.r1, a.r2 += b.r2, a.r3 += b.r3, a.sum += b.sum;
    a.min = std::min(a.min, b.min), a.max = std::max(a.max, b.max);
    if (b.total) a.key = b.key, a.any_time = b.any_time;
    return a;
  }
};
struct auction_day_key {
  std::int64_t operator()(const bid& b) const noexcept { return (b.auction << 20) | day_number(b.date_time); }
};
struct second_of {
  template <class P>
  auto operator()(P&& p) const {
    return std::forward<P>(p).second;
  }
};
template <class Bids>
auto q17(Bids bids) {
  return std::move(bids) | spate::key_by(auction_day_key{}) | spate::aggregate(q17_stats{}) | spate::map(second_of{});
}

}  // namespace nexmark

// The state the queries keep, reflected: binary encodings for checkpoints
// (tests/nexmark/restore.cpp restores every stateful query).
BOOST_HANA_ADAPT_STRUCT(nexmark::q17_stats::acc, key, total, r1, r2, r3, sum, min, max, any_time);
