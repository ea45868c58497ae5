// Nexmark q15, q16 (distinct counts), q18 (dedup) and q19 (top-N) against
// the reference, at parallelism 1 and 2.
#include <catch2/catch.hpp>

#include <set>

#include "queries_ops.hpp"
#include "fixture.hpp"

namespace {
using nexmark_test::data;
using nexmark_test::gen;
using nexmark_test::n_events;

// The twelve counts of q15 / q16 over some bids, from sets.
std::array<std::int64_t, 12> counts_of(const std::vector<const nexmark::bid*>& bs) {
  std::array<std::int64_t, 12> c{};
  std::array<std::set<std::int64_t>, 4> bidders, auctions;
  for (const auto* b : bs) {
    const int rank = b->price < 10'000 ? 1 : b->price < 1'000'000 ? 2 : 3;
    ++c[0];
    ++c[static_cast<std::size_t>(rank)];
    bidders[0].insert(b->bidder);
    bidders[static_cast<std::size_t>(rank)].insert(b->bidder);
    auctions[0].insert(b->auction);
    auctions[static_cast<std::size_t>(rank)].insert(b->auction);
  }
  for (std::size_t i = 0; i < 4; ++i) {
    c[4 + i] = static_cast<std::int64_t>(bidders[i].size());
    c[8 + i] = static_cast<std::int64_t>(auctions[i].size());
  }
  return c;
}
}  // namespace

TEST_CASE("nexmark q15: bids, bidders and auctions per day, by price rank") {
  std::map<std::string, std::vector<const nexmark::bid*>> per_day;
  for (const auto& b : data().bids) per_day[ref::day_of(b.date_time)].push_back(&b);
  std::vector<nexmark::q15_row> want;
  for (const auto& [day, bs] : per_day) {
    const auto c = counts_of(bs);
    want.push_back({day, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11]});
  }
  for (std::size_t p : {1, 2}) {
    std::vector<nexmark::q15_row> got;
    spate::run(nexmark::q15(nexmark::bids(gen(), n_events)) | spate::collect_into(got), spate::parallelism{p});
    CHECK(got.size() == data().bids.size());
    CHECK(ref::texts(ref::last_per_key(got, [](const auto& r) { return r.day; })) == ref::texts(want));
  }
}

TEST_CASE("nexmark q16: the same per channel and day, with the latest minute") {
  std::map<std::pair<std::string, std::string>, std::vector<const nexmark::bid*>> per;
  for (const auto& b : data().bids) per[{b.channel, ref::day_of(b.date_time)}].push_back(&b);
  std::vector<nexmark::q16_row> want;
  for (const auto& [k, bs] : per) {
    std::string minute;
    for (const auto* b : bs) {
      std::time_t s = b->date_time / 1000;
      std::tm tm{};
      gmtime_r(&s, &tm);
      char hm[16];
      std::snprintf(hm, sizeof hm, "%02d:%02d", tm.tm_hour % 100, tm.tm_min % 100);
      minute = std::max(minute, std::string(hm));
    }
    const auto c = counts_of(bs);
    want.push_back({k.first, k.second, minute, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11]});
  }
  REQUIRE(want.size() > 1'000);
  for (std::size_t p : {1, 2}) {
    std::vector<nexmark::q16_row> got;
    spate::run(nexmark::q16(nexmark::bids(gen(), n_events)) | spate::collect_into(got), spate::parallelism{p});
    CHECK(ref::texts(ref::last_per_key(got, [](const auto& r) { return std::pair{r.channel, r.day}; })) ==
          ref::texts(want));
  }
}

TEST_CASE("nexmark q18: the last bid of each bidder on each auction") {
  std::map<std::pair<std::int64_t, std::int64_t>, nexmark::bid> last;
  for (const auto& b : data().bids) {
    auto [it, fresh] = last.try_emplace({b.bidder, b.auction}, b);
    if (!fresh && b.date_time >= it->second.date_time) it->second = b;  // the later of equal times
  }
  std::vector<nexmark::bid> want;
  for (const auto& [k, b] : last) want.push_back(b);
  for (std::size_t p : {1, 2}) {
    std::vector<nexmark::bid> got;
    spate::run(nexmark::q18(nexmark::bids(gen(), n_events)) | spate::collect_into(got), spate::parallelism{p});
    CHECK(ref::texts(ref::last_per_key(got, [](const auto& b) { return std::pair{b.bidder, b.auction}; })) ==
          ref::texts(want));
  }
}

TEST_CASE("nexmark q19: the ten highest bids of each auction") {
  std::map<std::int64_t, std::vector<nexmark::bid>> per;
  for (const auto& b : data().bids) per[b.auction].push_back(b);
  std::vector<nexmark::q19_ranking> want;
  for (auto& [a, bs] : per) {
    std::stable_sort(bs.begin(), bs.end(), [](const auto& x, const auto& y) { return x.price > y.price; });
    if (bs.size() > 10) bs.resize(10);
    want.push_back({a, bs});
  }
  // At P = 1 the bids arrive in the generator's order, as in the reference,
  // so equal prices rank alike; at P = 2 two shards interleave and of equal
  // prices the earlier to arrive ranks first: there the prices are compared.
  auto prices = [](const std::vector<nexmark::q19_ranking>& rs) {
    std::vector<std::string> t;
    for (const auto& r : rs) {
      std::string line = std::to_string(r.auction) + ":";
      for (const auto& b : r.top) line += " " + std::to_string(b.price);
      t.push_back(line);
    }
    std::sort(t.begin(), t.end());
    return t;
  };
  for (std::size_t p : {1, 2}) {
    std::vector<nexmark::q19_ranking> got;
    spate::run(nexmark::q19(nexmark::bids(gen(), n_events)) | spate::collect_into(got), spate::parallelism{p});
    const auto last = ref::last_per_key(got, [](const auto& r) { return r.auction; });
    CHECK(last.size() == want.size());
    const auto g = p == 1 ? ref::texts(last) : prices(last);
    const auto w = p == 1 ? ref::texts(want) : prices(want);
    const auto diff = std::mismatch(g.begin(), g.end(), w.begin(), w.end());
    CHECK((diff.first == g.end() ? std::string("same") : *diff.first) ==
          (diff.second == w.end() ? std::string("same") : *diff.second));
  }
}
