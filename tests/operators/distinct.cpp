#include <catch2/catch.hpp>

#include <spate/algebra/distinct.hpp>
#include <spate/spate.hpp>

#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common.hpp"

using ops_test::bid;
using namespace std::chrono_literals;

TEST_CASE("count_distinct, count_if and aggregates, rolling per key", "[distinct]") {
  std::vector<bid> in{{1, 7, 5, 0}, {1, 7, 50, 1}, {1, 8, 5, 2}, {2, 7, 5, 3}, {1, 9, 500, 4}};
  std::map<std::int64_t, std::int64_t> bidders;
  spate::run(spate::from_collection(in) | spate::key_by(&bid::auction) | spate::count_distinct(&bid::bidder)
             | spate::collect_into(bidders));
  CHECK(bidders == std::map<std::int64_t, std::int64_t>{{1, 3}, {2, 1}});

  auto cheap = [](const bid& b) { return b.price < 10; };
  std::vector<std::pair<std::int64_t, std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>>> out;
  spate::run(spate::from_collection(in) | spate::key_by(&bid::auction)
             | spate::aggregates(spate::count(), spate::count_if(cheap), spate::count_distinct(&bid::bidder),
                                 spate::count_distinct_if(&bid::bidder, cheap))
             | spate::collect_into(out));
  REQUIRE(out.size() == 5);
  CHECK(out[1] == std::pair{std::int64_t{1}, std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>{2, 1, 1, 1}});
  CHECK(out[4] == std::pair{std::int64_t{1}, std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>{4, 2, 3, 2}});
}

TEST_CASE("count_distinct: a window function, tumbling and sliding (merging)", "[distinct][window]") {
  std::vector<bid> in{{1, 7, 5, 0}, {1, 7, 50, 10}, {1, 8, 5, 60}, {1, 9, 5, 120}};
  std::vector<spate::window_result<std::int64_t, std::int64_t>> out;
  spate::run(spate::from_collection(in) | spate::with_watermarks(&bid::ts, spate::bounded_out_of_orderness(0ms))
             | spate::key_by(&bid::auction) | spate::window(spate::sliding(100ms, 50ms), &bid::ts)
             | spate::count_distinct([](const bid& b) { return b.bidder; }) | spate::collect_into(out));
  std::map<std::int64_t, std::int64_t> at;
  for (auto& r : out) at[spate::to_millis(r.start)] = r.value;
  CHECK(at == std::map<std::int64_t, std::int64_t>{{-50, 1}, {0, 2}, {50, 2}, {100, 1}});
}

TEST_CASE("max_of, min_of, sum_of: alone, in aggregates, and as window functions", "[distinct]") {
  std::vector<bid> in{{1, 7, 5, 3}, {1, 8, 50, 1}, {2, 7, 6, 2}, {1, 9, 20, 4}};
  std::map<std::int64_t, std::int64_t> highest;
  spate::run(spate::from_collection(in) | spate::key_by(&bid::auction) | spate::max_of(&bid::price)
             | spate::collect_into(highest));
  CHECK(highest == std::map<std::int64_t, std::int64_t>{{1, 50}, {2, 6}});

  // A value computed from the record, a string (Nexmark q16's max "HH:mm").
  auto label = [](const bid& b) -> std::string { return "t" + std::to_string(b.ts); };
  using row = std::tuple<std::int64_t, std::int64_t, std::string, std::int64_t>;
  std::map<std::int64_t, row> per;
  spate::run_batch(spate::from_collection(in) | spate::key_by(&bid::auction)
                   | spate::aggregates(spate::min_of(&bid::price), spate::sum_of(&bid::price), spate::max_of(label),
                                       spate::count())
                   | spate::collect_into(per));
  CHECK(per[1] == row{5, 75, "t4", 3});
  CHECK(per[2] == row{6, 6, "t2", 1});

  std::vector<spate::window_result<std::int64_t, std::int64_t>> sums;
  spate::run(spate::from_collection(in) | spate::with_watermarks(&bid::ts, spate::bounded_out_of_orderness(10ms))
             | spate::key_by(&bid::auction) | spate::window(spate::session(10ms), &bid::ts)
             | spate::sum_of(&bid::price) | spate::collect_into(sums));
  std::map<std::int64_t, std::int64_t> by;
  for (auto& w : sums) by[w.key] = w.value;
  CHECK(by == std::map<std::int64_t, std::int64_t>{{1, 75}, {2, 6}});
}
