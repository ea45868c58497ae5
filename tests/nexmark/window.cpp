// Nexmark q5, q7, q8, q11 (event-time windows) and q12 (processing time)
// against the reference, at parallelism 1 and 2, fused and unfused.
#include <catch2/catch.hpp>

#include "queries_window.hpp"
#include "fixture.hpp"

namespace {
using nexmark_test::data;
using nexmark_test::gen;
using nexmark_test::n_events;
template <class Row, class Make>
void check_bids_query(Make make, const std::vector<Row>& expected) {
  const auto want = ref::texts(expected);
  for (std::size_t p : {1, 2}) {
    std::vector<Row> got;
    spate::run(make(nexmark::bids(gen(), n_events)) | spate::collect_into(got), spate::parallelism{p});
    CHECK(ref::texts(got) == want);
  }
  std::vector<Row> unfused;
  spate::run_unfused(make(nexmark::bids(gen(), n_events)) | spate::collect_into(unfused));
  CHECK(ref::texts(unfused) == want);
}
}  // namespace

TEST_CASE("nexmark q5: the auctions with the most bids per sliding window") {
  const auto want = ref::q5(data());
  REQUIRE(want.size() >= 15);
  check_bids_query<nexmark::q5_row>([](auto b) { return nexmark::q5(std::move(b)); }, want);
}

TEST_CASE("nexmark q7: the highest bids per tumbling window") {
  const auto want = ref::q7(data());
  REQUIRE(want.size() >= 3);
  check_bids_query<nexmark::q7_row>([](auto b) { return nexmark::q7(std::move(b)); }, want);
}

TEST_CASE("nexmark q11: bids per bidder session") {
  const auto want = ref::q11(data());
  REQUIRE(want.size() >= 20);
  check_bids_query<nexmark::q11_row>([](auto b) { return nexmark::q11(std::move(b)); }, want);
}

TEST_CASE("nexmark q8: people who opened an auction in the window they registered in") {
  const auto want = ref::texts(ref::q8(data()));
  REQUIRE(want.size() >= 10);
  nexmark_test::check_rows<nexmark::q8_row>(
      [] { return nexmark::q8(nexmark::persons(gen(), n_events), nexmark::auctions(gen(), n_events)); }, want);
}

TEST_CASE("nexmark q12: bids per bidder in processing-time windows count every bid once") {
  // Which window a bid falls in depends on the wall clock; how many bids the
  // windows count together does not.
  for (std::size_t p : {1, 2}) {
    std::vector<nexmark::q11_row> got;
    spate::run(nexmark::q12(nexmark::bids(gen(), n_events)) | spate::collect_into(got), spate::parallelism{p});
    std::map<std::int64_t, std::int64_t> per_bidder, want;
    for (const auto& r : got) per_bidder[r.bidder] += r.bid_count;
    for (const auto& b : data().bids) ++want[b.bidder];
    CHECK(per_bidder == want);
  }
}
