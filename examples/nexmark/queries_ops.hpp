#pragma once
// Nexmark q15, q16 (distinct counts), q18 (deduplication) and q19 (top-N),
// on spate's count_distinct / aggregates, keep_latest and top_n stages.
#include <spate/spate.hpp>

#include <cstdint>
#include <string>
#include <tuple>
#include <utility>

#include "queries_agg.hpp"
#include "rows.hpp"

namespace nexmark {

struct rank1 {
  bool operator()(const bid& b) const noexcept { return b.price < 10'000; }
};
struct rank2 {
  bool operator()(const bid& b) const noexcept { return b.price >= 10'000 && b.price < 1'000'000; }
};
struct rank3 {
  bool operator()(const bid& b) const noexcept { return b.price >= 1'000'000; }
};
/// The twelve counts of q15 and q16, in their order.
inline auto bidding_counts() {
  return spate::aggregates(spate::count(), spate::count_if(rank1{}), spate::count_if(rank2{}),
                           spate::count_if(rank3{}), spate::count_distinct(&bid::bidder),
                           spate::count_distinct_if(&bid::bidder, rank1{}),
                           spate::count_distinct_if(&bid::bidder, rank2{}),
                           spate::count_distinct_if(&bid::bidder, rank3{}), spate::count_distinct(&bid::auction),
                           spate::count_distinct_if(&bid::auction, rank1{}),
                           spate::count_distinct_if(&bid::auction, rank2{}),
                           spate::count_distinct_if(&bid::auction, rank3{}));
}

// q15: bidding statistics per day.
struct day_key {
  std::int64_t operator()(const bid& b) const noexcept { return day_number(b.date_time); }
};
struct q15_row_of {
  template <class P>
  q15_row operator()(const P& p) const {
    const auto& c = p.second;
    return std::apply([&](auto... n) { return q15_row{format_day(p.first * 86'400'000), n...}; }, c);
  }
};
template <class Bids>
auto q15(Bids bids) {
  return std::move(bids) | spate::key_by(day_key{}) | bidding_counts() | spate::map(q15_row_of{});
}

// q16: channel statistics per channel and day, with the day's latest minute.
struct latest_minute {  // max(DATE_FORMAT(dateTime, 'HH:mm')) as an aggregate
  std::int64_t create_accumulator() const { return -1; }
  std::int64_t add(const bid& b, std::int64_t acc) const { return std::max(acc, b.date_time); }
  std::int64_t get_result(std::int64_t acc) const { return acc; }
  std::int64_t merge(std::int64_t a, std::int64_t b) const { return std::max(a, b); }
};
struct channel_day_key {
  std::string operator()(const bid& b) const {
    std::string k = format_day(b.date_time);
    k += '|';
    k += b.channel;
    return k;
  }
};
struct q16_row_of {
  template <class P>
  q16_row operator()(const P& p) const {
    const std::string& key = p.first;
    const auto bar = key.find('|');
    return std::apply(
        [&](std::int64_t latest, auto... n) {
          return q16_row{key.substr(bar + 1), key.substr(0, bar), format_hm(latest), n...};
        },
        p.second);
  }
};
template <class Bids>
auto q16(Bids bids) {
  return std::move(bids) | spate::key_by(channel_day_key{}) |
         spate::aggregates(spate::aggregate(latest_minute{}), spate::count(), spate::count_if(rank1{}),
                           spate::count_if(rank2{}), spate::count_if(rank3{}), spate::count_distinct(&bid::bidder),
                           spate::count_distinct_if(&bid::bidder, rank1{}),
                           spate::count_distinct_if(&bid::bidder, rank2{}),
                           spate::count_distinct_if(&bid::bidder, rank3{}), spate::count_distinct(&bid::auction),
                           spate::count_distinct_if(&bid::auction, rank1{}),
                           spate::count_distinct_if(&bid::auction, rank2{}),
                           spate::count_distinct_if(&bid::auction, rank3{})) |
         spate::map(q16_row_of{});
}

// q18: the last bid (by date_time) of each bidder on each auction.
struct bidder_auction_key {
  std::int64_t operator()(const bid& b) const noexcept { return (b.bidder << 32) | b.auction; }
};
template <class Bids>
auto q18(Bids bids) {
  return std::move(bids) | spate::key_by(bidder_auction_key{}) | spate::keep_latest(&bid::date_time);
}

// q19: the ten highest bids of each auction (its ranking, each time it changes).
struct q19_ranking_of {
  template <class P>
  q19_ranking operator()(P&& p) const {
    return {p.first, std::forward<P>(p).second};
  }
};
// [doc:nexmark-q19]
template <class Bids>
auto q19(Bids bids) {
  return std::move(bids) | spate::key_by(&bid::auction) | spate::top_n<10>(spate::descending(&bid::price)) |
         spate::map(q19_ranking_of{});
}
// [end]

}  // namespace nexmark
