#include <catch2/catch.hpp>

#include <spate/algebra/top_n.hpp>
#include <spate/spate.hpp>

#include <map>
#include <utility>
#include <vector>

#include "common.hpp"

using ops_test::bid;
using namespace std::chrono_literals;

namespace {
std::vector<std::int64_t> prices(const std::vector<bid>& v) {
  std::vector<std::int64_t> p;
  for (const bid& b : v) p.push_back(b.price);
  return p;
}
}  // namespace

TEST_CASE("top_n: rolling emits the key's new ranking only when a record enters it", "[top_n]") {
  std::vector<bid> in{{1, 0, 5, 0}, {1, 0, 9, 1}, {2, 0, 1, 2}, {1, 0, 7, 3}, {1, 0, 2, 4}, {1, 0, 8, 5}};
  std::vector<std::pair<std::int64_t, std::vector<bid>>> out;
  spate::run(spate::from_collection(in) | spate::key_by(&bid::auction) | spate::top_n<2>(spate::descending(&bid::price))
             | spate::collect_into(out));
  REQUIRE(out.size() == 5);  // (1, price 2) does not enter {9, 7}
  CHECK(prices(out[0].second) == std::vector<std::int64_t>{5});
  CHECK(prices(out[1].second) == std::vector<std::int64_t>{9, 5});
  CHECK(out[2].first == 2);
  CHECK(prices(out[3].second) == std::vector<std::int64_t>{9, 7});
  CHECK(prices(out[4].second) == std::vector<std::int64_t>{9, 8});
}

TEST_CASE("top_n: batch emits the final ranking per key once, ties keep the earlier", "[top_n]") {
  std::vector<bid> in{{1, 1, 5, 0}, {1, 2, 5, 1}, {1, 3, 5, 2}, {1, 4, 6, 3}};
  std::vector<std::pair<std::int64_t, std::vector<bid>>> out;
  spate::run_batch(spate::from_collection(in) | spate::key_by(&bid::auction)
                   | spate::top_n<3>(spate::descending(&bid::price)) | spate::collect_into(out));
  REQUIRE(out.size() == 1);
  std::vector<std::int64_t> bidders;
  for (const bid& b : out[0].second) bidders.push_back(b.bidder);
  CHECK(bidders == std::vector<std::int64_t>{4, 1, 2});  // 3 ties with 2 and comes later: out
}

TEST_CASE("top_n: a window function, per key and over the whole stream", "[top_n][window]") {
  std::vector<bid> in{{1, 0, 5, 0}, {1, 0, 9, 10}, {2, 0, 4, 20}, {1, 0, 1, 30}, {1, 0, 3, 120}};
  std::vector<spate::window_result<std::int64_t, std::vector<bid>>> keyed;
  spate::run(spate::from_collection(in) | spate::with_watermarks(&bid::ts, spate::bounded_out_of_orderness(0ms))
             | spate::key_by(&bid::auction) | spate::window(spate::tumbling(100ms), &bid::ts)
             | spate::top_n<2>(spate::descending(&bid::price)) | spate::collect_into(keyed));
  REQUIRE(keyed.size() == 3);
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<std::int64_t>> by;
  for (auto& r : keyed) by[{r.key, spate::to_millis(r.start)}] = prices(r.value);
  CHECK(by[{1, 0}] == std::vector<std::int64_t>{9, 5});
  CHECK(by[{2, 0}] == std::vector<std::int64_t>{4});
  CHECK(by[{1, 100}] == std::vector<std::int64_t>{3});

  std::vector<spate::all_window_result<std::vector<bid>>> all;
  spate::run(spate::from_collection(in) | spate::with_watermarks(&bid::ts, spate::bounded_out_of_orderness(0ms))
             | spate::window_all(spate::sliding(100ms, 50ms), &bid::ts)
             | spate::top_n<2>(spate::ascending(&bid::price)) | spate::collect_into(all));
  std::map<std::int64_t, std::vector<std::int64_t>> at;
  for (auto& r : all) at[spate::to_millis(r.start)] = prices(r.value);
  CHECK(at[-50] == std::vector<std::int64_t>{1, 4});
  CHECK(at[0] == std::vector<std::int64_t>{1, 4});
  CHECK(at[50] == std::vector<std::int64_t>{3});
  CHECK(at[100] == std::vector<std::int64_t>{3});
}
