#include <catch2/catch.hpp>

#include <spate/algebra/dedup.hpp>
#include <spate/spate.hpp>

#include <vector>

#include "common.hpp"

using ops_test::bid;
using namespace std::chrono_literals;

TEST_CASE("keep_first emits each key's first record once", "[dedup]") {
  std::vector<bid> in{{1, 7, 5, 0}, {1, 8, 6, 1}, {2, 7, 5, 2}, {1, 9, 7, 3}};
  std::vector<bid> out, batch;
  spate::run(spate::from_collection(in) | spate::key_by(&bid::auction) | spate::keep_first() | spate::collect_into(out));
  CHECK(out == std::vector<bid>{{1, 7, 5, 0}, {2, 7, 5, 2}});
  spate::run_batch(spate::from_collection(in) | spate::key_by(&bid::auction) | spate::keep_first() | spate::collect_into(batch));
  CHECK(batch == out);
}

TEST_CASE("keep_first().expire_after: a key is first again a period after its first", "[dedup]") {
  std::vector<bid> in{{1, 1, 0, 0}, {1, 2, 0, 50}, {1, 3, 0, 100}, {1, 4, 0, 150}, {1, 5, 0, 210}};
  std::vector<bid> out;
  spate::run(spate::from_collection(in) | spate::with_watermarks(&bid::ts, spate::bounded_out_of_orderness(0ms))
             | spate::key_by(&bid::auction) | spate::keep_first().expire_after(100ms, &bid::ts) | spate::collect_into(out));
  std::vector<std::int64_t> who;
  for (auto& b : out) who.push_back(b.bidder);
  CHECK(who == std::vector<std::int64_t>{1, 3, 5});
}

TEST_CASE("keep_last, keep_latest, keep_earliest", "[dedup]") {
  std::vector<bid> in{{1, 1, 0, 50}, {1, 2, 0, 20}, {1, 3, 0, 50}, {1, 4, 0, 70}, {1, 5, 0, 10}};
  auto bidders = [](const std::vector<bid>& v) {
    std::vector<std::int64_t> w;
    for (auto& b : v) w.push_back(b.bidder);
    return w;
  };
  std::vector<bid> last, latest, earliest, latest_batch;
  spate::run(spate::from_collection(in) | spate::key_by(&bid::auction) | spate::keep_last() | spate::collect_into(last));
  spate::run(spate::from_collection(in) | spate::key_by(&bid::auction) | spate::keep_latest(&bid::ts) | spate::collect_into(latest));
  spate::run(spate::from_collection(in) | spate::key_by(&bid::auction) | spate::keep_earliest(&bid::ts) | spate::collect_into(earliest));
  spate::run_batch(spate::from_collection(in) | spate::key_by(&bid::auction) | spate::keep_latest(&bid::ts)
                   | spate::collect_into(latest_batch));
  CHECK(bidders(last) == std::vector<std::int64_t>{1, 2, 3, 4, 5});
  CHECK(bidders(latest) == std::vector<std::int64_t>{1, 3, 4});  // 3 ties with 1 and is later: Flink's >=
  CHECK(bidders(earliest) == std::vector<std::int64_t>{1, 2, 5});
  CHECK(bidders(latest_batch) == std::vector<std::int64_t>{4});
}
