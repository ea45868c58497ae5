// Nexmark q3, q20 (regular joins), q9 (winning bids) and q4, q6 (built on
// q9) against the reference, at parallelism 1 and 2, and q17.
#include <catch2/catch.hpp>

#include "queries_agg.hpp"
#include "queries_join.hpp"
#include "reference.hpp"
#include "sources.hpp"

namespace {
constexpr std::uint64_t n_events = 30'000;
const nexmark::generator& gen() {
  static const nexmark::generator g(ref::test_config());
  return g;
}
const ref::streams& data() {
  static const ref::streams s = ref::materialize(gen(), n_events);
  return s;
}
}  // namespace

TEST_CASE("nexmark q3: category-10 auctions of sellers in OR, ID or CA") {
  const auto want = ref::texts(ref::q3(data()));
  REQUIRE(want.size() >= 10);
  for (std::size_t p : {1, 2}) {
    std::vector<nexmark::q3_row> got;
    spate::run(nexmark::q3(nexmark::auctions(gen(), n_events), nexmark::persons(gen(), n_events)) |
                   spate::collect_into(got),
               spate::parallelism{p});
    CHECK(ref::texts(got) == want);
  }
}

TEST_CASE("nexmark q20: bids with their auction, category 10") {
  const auto want = ref::texts(ref::q20(data()));
  REQUIRE(want.size() >= 100);
  for (std::size_t p : {1, 2}) {
    std::vector<nexmark::q20_row> got;
    spate::run(nexmark::q20(nexmark::bids(gen(), n_events), nexmark::auctions(gen(), n_events)) |
                   spate::collect_into(got),
               spate::parallelism{p});
    CHECK(ref::texts(got) == want);
  }
}

TEST_CASE("nexmark q9: the winning bid of every auction, when it closes") {
  const auto want = ref::texts(ref::q9(data()));
  REQUIRE(want.size() >= 100);
  for (std::size_t p : {1, 2}) {
    std::vector<nexmark::q9_row> got;
    spate::run(nexmark::q9(nexmark::auctions(gen(), n_events), nexmark::bids(gen(), n_events)) |
                   spate::collect_into(got),
               spate::parallelism{p});
    CHECK(ref::texts(got) == want);
  }
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
