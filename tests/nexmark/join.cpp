// Nexmark q3, q20 (regular joins), q9 (winning bids) and q4, q6 (built on
// q9) against the reference, at parallelism 1 and 2, and q17.
#include <catch2/catch.hpp>

#include "queries_agg.hpp"
#include "queries_join.hpp"
#include "fixture.hpp"

namespace {
using nexmark_test::data;
using nexmark_test::gen;
using nexmark_test::n_events;
}  // namespace

TEST_CASE("nexmark q3: category-10 auctions of sellers in OR, ID or CA") {
  const auto want = ref::texts(ref::q3(data()));
  REQUIRE(want.size() >= 10);
  nexmark_test::check_rows<nexmark::q3_row>(
      [] { return nexmark::q3(nexmark::auctions(gen(), n_events), nexmark::persons(gen(), n_events)); }, want);
}

TEST_CASE("nexmark q20: bids with their auction, category 10") {
  const auto want = ref::texts(ref::q20(data()));
  REQUIRE(want.size() >= 100);
  nexmark_test::check_rows<nexmark::q20_row>(
      [] { return nexmark::q20(nexmark::bids(gen(), n_events), nexmark::auctions(gen(), n_events)); }, want);
}

TEST_CASE("nexmark q9: the winning bid of every auction, when it closes") {
  const auto want = ref::texts(ref::q9(data()));
  REQUIRE(want.size() >= 100);
  nexmark_test::check_rows<nexmark::q9_row>(
      [] { return nexmark::q9(nexmark::auctions(gen(), n_events), nexmark::bids(gen(), n_events)); }, want);
}

TEST_CASE("nexmark q4 and q6: averages of winning prices per category and per seller") {
  const auto want4 = ref::texts(ref::q4(data()));
  const auto want6 = ref::texts(ref::q6(data()));
  REQUIRE(want4.size() == 5);
  for (std::size_t p : {1, 2}) {
    std::vector<nexmark::q4_row> got4;
    spate::run(nexmark::q4(nexmark::auctions(gen(), n_events), nexmark::bids(gen(), n_events)) |
                   spate::collect_into(got4),
               spate::parallelism{p});
    CHECK(ref::texts(ref::last_per_key(got4, [](const auto& r) { return r.category; })) == want4);
    std::vector<nexmark::q6_row> got6;
    spate::run(nexmark::q6(nexmark::auctions(gen(), n_events), nexmark::bids(gen(), n_events)) |
                   spate::collect_into(got6),
               spate::parallelism{p});
    CHECK(ref::texts(ref::last_per_key(got6, [](const auto& r) { return r.seller; })) == want6);
  }
}

TEST_CASE("nexmark q17: statistics per auction and day, updated at every bid") {
  const auto want = ref::texts(ref::q17(data()));
  for (std::size_t p : {1, 2}) {
    std::vector<nexmark::q17_row> got;
    spate::run(nexmark::q17(nexmark::bids(gen(), n_events)) | spate::collect_into(got), spate::parallelism{p});
    CHECK(got.size() == data().bids.size());  // one update per bid
    CHECK(ref::texts(ref::last_per_key(got, [](const auto& r) { return std::pair{r.auction, r.day}; })) == want);
  }
}
