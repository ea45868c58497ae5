#pragma once
// Nexmark q5, q7, q8, q11, q12: event-time (and one processing-time) windows.
#include <spate/spate.hpp>

#include <chrono>
#include <cstdint>
#include <vector>

#include "rows.hpp"

namespace nexmark {
using namespace std::chrono_literals;

/// The last millisecond of a window result's window: a second window keyed
/// by the first one's bounds, with this as the time, fires at the same
/// watermark as the first.
struct last_ms_of_window {
  template <class R>
  std::int64_t operator()(const R& r) const noexcept {
    return spate::to_millis(r.end) - 1;
  }
};
struct window_start_ms {
  template <class R>
  std::int64_t operator()(const R& r) const noexcept {
    return spate::to_millis(r.start);
  }
};
/// Emits each element of a window result's vector value.
struct each_of_value {
  template <class R, class Emit>
  void operator()(const R& r, Emit& emit) const {
    for (const auto& x : r.value) emit(x);
  }
};

// q5: hot items. Bids per auction in 10 s windows sliding by 2 s; per window
// the auctions with the most bids.
struct q5_most_bids {
  std::vector<q5_row> operator()(std::int64_t start, spate::time_window,
                                 const std::vector<spate::window_result<std::int64_t, std::int64_t>>& counts) const {
    std::int64_t maxn = 0;
    for (const auto& c : counts) maxn = std::max(maxn, c.value);
    std::vector<q5_row> rows;
    for (const auto& c : counts)
      if (c.value >= maxn) rows.push_back({c.key, c.value, start});
    return rows;
  }
};
// [doc:nexmark-q5]
template <class Bids>
auto q5(Bids bids) {
  return std::move(bids) | spate::key_by(&bid::auction) | spate::window(spate::sliding(10s, 2s)) | spate::count() |
         spate::key_by(window_start_ms{}) | spate::window(spate::tumbling(2s), last_ms_of_window{}) |
         spate::process(q5_most_bids{}) | spate::flat_map<q5_row>(each_of_value{});
}
// [end]

// q7: highest bid. Per 10 s tumbling window, the bids with its highest price:
// each auction's best bids in the window, then the best of those per window.
struct q7_best_bids {
  struct acc {
    std::int64_t max = -1;
    std::vector<q7_row> rows;
  };
  acc create_accumulator() const { return {}; }
  acc add(const bid& b, acc a) const {
    if (b.price > a.max) {
      a.max = b.price;
      a.rows.clear();
    }
    if (b.price == a.max) a.rows.push_back({b.auction, b.price, b.bidder, b.date_time, b.extra});
    return a;
  }
  std::vector<q7_row> get_result(const acc& a) const { return a.rows; }
  acc merge(acc a, const acc& b) const {
    if (b.max > a.max) return b;
    if (b.max == a.max) a.rows.insert(a.rows.end(), b.rows.begin(), b.rows.end());
    return a;
  }
};
struct q7_best_of_window {
  std::vector<q7_row> operator()(
      std::int64_t, spate::time_window,
      const std::vector<spate::window_result<std::int64_t, std::vector<q7_row>>>& per_auction) const {
    std::int64_t max = -1;
    for (const auto& r : per_auction)
      if (!r.value.empty()) max = std::max(max, r.value.front().price);
    std::vector<q7_row> rows;
    for (const auto& r : per_auction)
      if (!r.value.empty() && r.value.front().price == max) rows.insert(rows.end(), r.value.begin(), r.value.end());
    return rows;
  }
};
template <class Bids>
auto q7(Bids bids) {
  return std::move(bids) | spate::key_by(&bid::auction) | spate::window(spate::tumbling(10s)) |
         spate::aggregate(q7_best_bids{}) | spate::key_by(window_start_ms{}) |
         spate::window(spate::tumbling(10s), last_ms_of_window{}) | spate::process(q7_best_of_window{}) |
         spate::flat_map<q7_row>(each_of_value{});
}

// q8: monitor new users. People who opened an auction in the 10 s tumbling
// window in which they registered.
struct q8_match {
  std::vector<q8_row> operator()(const std::vector<person>& ps, const std::vector<auction>& as) const {
    std::vector<q8_row> rows;
    if (!as.empty())
      for (const auto& p : ps) rows.push_back({p.id, p.name, 0});
    return rows;
  }
};
struct q8_rows {
  template <class R, class Emit>
  void operator()(const R& r, Emit& emit) const {
    for (auto row : r.value) {
      row.stime = spate::to_millis(r.start);
      emit(std::move(row));
    }
  }
};
// [doc:nexmark-q8]
template <class Persons, class Auctions>
auto q8(Persons ps, Auctions as) {
  return spate::connect(std::move(ps), std::move(as)) | spate::key_by(&person::id, &auction::seller) |
         spate::co_group(spate::tumbling(10s), q8_match{}) | spate::flat_map<q8_row>(q8_rows{});
}
// [end]

// q11: user sessions. Bids per bidder in sessions with a 10 s gap.
struct q11_row_of {
  q11_row operator()(const spate::window_result<std::int64_t, std::int64_t>& r) const {
    return {r.key, r.value, spate::to_millis(r.start), spate::to_millis(r.end)};
  }
};
template <class Bids>
auto q11(Bids bids) {
  return std::move(bids) | spate::key_by(&bid::bidder) | spate::window(spate::session(10s)) | spate::count() |
         spate::map(q11_row_of{});
}

// q12: processing-time windows. Bids per bidder in 10 s tumbling windows of
// processing time.
template <class Bids>
auto q12(Bids bids) {
  return std::move(bids) | spate::key_by(&bid::bidder) | spate::window(spate::tumbling(10s).on_processing_time()) |
         spate::count() | spate::map(q11_row_of{});
}

}  // namespace nexmark

// The state the queries keep, reflected: binary encodings for checkpoints
// (tests/nexmark/restore.cpp restores every stateful query).
BOOST_HANA_ADAPT_STRUCT(nexmark::q7_best_bids::acc, max, rows);
