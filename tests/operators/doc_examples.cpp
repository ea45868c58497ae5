// The examples of docs/algebra.md's "Top-N, distinct counts and
// deduplication" section: each region between `// [doc:name]` and `// [end]`
// is shown there (scripts/doc-snippets keeps the two equal).
#include <catch2/catch.hpp>

#include <spate/spate.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

namespace {
// [doc:bid]
struct bid {
  std::int64_t auction;
  std::int64_t bidder;
  std::int64_t price;
  std::int64_t ts;  // event time, ms
};
// [end]
std::vector<bid> bids{{1, 10, 300, 0}, {1, 11, 900, 5}, {2, 10, 50, 7}, {1, 12, 600, 9}, {1, 10, 700, 12}};

std::vector<std::int64_t> prices(const std::vector<bid>& v) {
  std::vector<std::int64_t> p;
  for (const bid& b : v) p.push_back(b.price);
  return p;
}
}  // namespace

TEST_CASE("docs: top_n", "[docs][top_n]") {
  // [doc:top_n]
  std::map<std::int64_t, std::vector<bid>> best;  // auction -> its 2 highest bids, highest first
  spate::run(spate::from_collection(bids)
             | spate::key_by(&bid::auction)
             | spate::top_n<2>(spate::descending(&bid::price))
             | spate::collect_into(best));
  // best[1] holds the bids of 900 and 700; best[2] the bid of 50
  // [end]
  CHECK(prices(best[1]) == std::vector<std::int64_t>{900, 700});
  CHECK(prices(best[2]) == std::vector<std::int64_t>{50});

  // [doc:top_n_window]
  std::vector<spate::all_window_result<std::vector<bid>>> per_window;
  spate::run(spate::from_collection(bids)
             | spate::with_watermarks(&bid::ts, spate::bounded_out_of_orderness(0ms))
             | spate::window_all(spate::tumbling(10ms), &bid::ts)
             | spate::top_n<1>(spate::descending(&bid::price))  // the highest bid of each 10 ms
             | spate::collect_into(per_window));
  // [0, 10): the bid of 900; [10, 20): the bid of 700
  // [end]
  REQUIRE(per_window.size() == 2);
  CHECK(prices(per_window[0].value) == std::vector<std::int64_t>{900});
  CHECK(prices(per_window[1].value) == std::vector<std::int64_t>{700});
}

TEST_CASE("docs: distinct counts", "[docs][distinct]") {
  // [doc:aggregates]
  auto cheap = [](const bid& b) { return b.price < 500; };
  std::map<std::int64_t, std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>> per_auction;
  spate::run(spate::from_collection(bids)
             | spate::key_by(&bid::auction)
             | spate::aggregates(spate::count(),                                  // COUNT(*)
                                 spate::count_if(cheap),                          // COUNT(*) FILTER (WHERE price < 500)
                                 spate::count_distinct(&bid::bidder),             // COUNT(DISTINCT bidder)
                                 spate::count_distinct_if(&bid::bidder, cheap))   // ... FILTER (WHERE price < 500)
             | spate::collect_into(per_auction));
  // per_auction[1] == {4, 1, 3, 1}, per_auction[2] == {1, 1, 1, 1}
  // [end]
  using four = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>;
  CHECK(per_auction[1] == four{4, 1, 3, 1});
  CHECK(per_auction[2] == four{1, 1, 1, 1});

  // [doc:count_distinct_window]
  std::vector<spate::window_result<std::int64_t, std::int64_t>> bidders;
  spate::run(spate::from_collection(bids)
             | spate::with_watermarks(&bid::ts, spate::bounded_out_of_orderness(0ms))
             | spate::key_by(&bid::auction)
             | spate::window(spate::tumbling(10ms), &bid::ts)
             | spate::count_distinct(&bid::bidder)
             | spate::collect_into(bidders));
  // (1, [0, 10), 3) (2, [0, 10), 1) (1, [10, 20), 1)
  // [end]
  std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> got;
  for (const auto& w : bidders) got[{w.key, spate::to_millis(w.start)}] = w.value;
  CHECK(got == std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t>{{{1, 0}, 3}, {{2, 0}, 1}, {{1, 10}, 1}});
}

TEST_CASE("docs: deduplication", "[docs][dedup]") {
  // [doc:dedup]
  std::vector<bid> first, latest;
  auto by_bidder = [] { return spate::from_collection(bids) | spate::key_by(&bid::bidder); };
  spate::run(by_bidder() | spate::keep_first() | spate::collect_into(first));
  // the first bid of each bidder: 300 (bidder 10), 900 (11), 600 (12)
  spate::run_batch(by_bidder() | spate::keep_latest(&bid::ts) | spate::collect_into(latest));
  // the latest bid of each bidder, once: 700 (10), 900 (11), 600 (12), in no particular order
  // [end]
  CHECK(prices(first) == std::vector<std::int64_t>{300, 900, 600});
  std::map<std::int64_t, std::int64_t> last;
  for (const bid& b : latest) last[b.bidder] = b.price;
  CHECK(last == std::map<std::int64_t, std::int64_t>{{10, 700}, {11, 900}, {12, 600}});

  // [doc:expire_after]
  std::vector<bid> daily_first;
  spate::run(spate::from_collection(bids)
             | spate::with_watermarks(&bid::ts, spate::bounded_out_of_orderness(0ms))
             | spate::key_by(&bid::bidder)
             | spate::keep_first().expire_after(10ms, &bid::ts)  // a bidder is new again 10 ms after its first bid
             | spate::collect_into(daily_first));
  // 300, 900, 600 and 700: bidder 10's bid at 12 ms is 12 ms after its first
  // [end]
  CHECK(prices(daily_first) == std::vector<std::int64_t>{300, 900, 600, 700});
}
