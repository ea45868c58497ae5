// The Nexmark generator: proportions, ids, hot ratios, sizes, event time,
// determinism, and shards that together are the whole sequence.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <set>
#include <vector>

#include "rows.hpp"
#include "sources.hpp"

namespace {
using nexmark::kind;

std::vector<nexmark::event> materialize(const nexmark::generator& g, std::uint64_t n) {
  std::vector<nexmark::event> v;
  v.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) v.push_back(g(i));
  return v;
}
}  // namespace

TEST_CASE("nexmark generator: person : auction : bid = 1 : 3 : 46, first ids 1000, categories from 10") {
  const nexmark::generator g;
  const auto evs = materialize(g, 50'000);
  std::int64_t np = 0, na = 0, nb = 0;
  std::int64_t next_person = 1000, next_auction = 1000;
  for (const auto& e : evs) {
    if (const auto* p = std::get_if<nexmark::person>(&e)) {
      ++np;
      CHECK(p->id == next_person++);  // in order, from 1000
    } else if (const auto* a = std::get_if<nexmark::auction>(&e)) {
      ++na;
      CHECK(a->id == next_auction++);
      CHECK(a->category >= 10);
      CHECK(a->category < 15);
      CHECK(a->reserve >= a->initial_bid);
      CHECK(a->expires > a->date_time);
    } else {
      ++nb;
    }
  }
  CHECK(np == 1'000);
  CHECK(na == 3'000);
  CHECK(nb == 46'000);
  CHECK(std::get<nexmark::person>(evs[0]).id == 1000);
  CHECK(std::get<nexmark::auction>(evs[1]).id == 1000);
}

TEST_CASE("nexmark generator: hot auctions, sellers and bidders, ids within the active ranges") {
  const nexmark::generator g;
  const auto evs = materialize(g, 100'000);
  double bids = 0, hot_auction = 0, hot_bidder = 0, auctions = 0, hot_seller = 0;
  std::int64_t people = 0, opened = 0;
  for (const auto& e : evs) {
    if (const auto* p = std::get_if<nexmark::person>(&e)) {
      people = p->id - 999;
    } else if (const auto* a = std::get_if<nexmark::auction>(&e)) {
      opened = a->id - 999;
      auctions += 1;
      hot_seller += (a->seller - 1000) % 100 == 0;
      CHECK(a->seller < 1000 + people + 10);  // the active people plus the lead
    } else {
      const auto& b = std::get<nexmark::bid>(e);
      bids += 1;
      hot_auction += (b.auction - 1000) % 100 == 0;
      hot_bidder += (b.bidder - 1000) % 100 == 1;
      CHECK(b.auction < 1000 + opened + 10);
      CHECK(b.auction >= 1000 + std::max<std::int64_t>(opened - 1 - 100, 0));  // one of the last 100 (or hot)
      CHECK(b.bidder >= 1000);
      CHECK(b.bidder < 1000 + people + 10);
    }
  }
  // hot ratio 2: half the bids for a hot auction (and a few more by chance);
  // ratio 4: three quarters of auctions and bids for a hot seller / bidder
  CHECK(hot_auction / bids > 0.49);
  CHECK(hot_auction / bids < 0.53);
  CHECK(hot_bidder / bids > 0.74);
  CHECK(hot_bidder / bids < 0.77);
  CHECK(hot_seller / auctions > 0.74);
  CHECK(hot_seller / auctions < 0.78);
}

TEST_CASE("nexmark generator: average sizes 200, 500 and 100 bytes, channels and URLs") {
  const nexmark::generator g;
  const auto evs = materialize(g, 100'000);
  double ps = 0, pn = 0, as = 0, an = 0, bs = 0, bn = 0, hot = 0;
  for (const auto& e : evs) {
    if (const auto* p = std::get_if<nexmark::person>(&e)) {
      ps += double(nexmark::accounted_size(*p)), pn += 1;
    } else if (const auto* a = std::get_if<nexmark::auction>(&e)) {
      as += double(nexmark::accounted_size(*a)), an += 1;
    } else {
      const auto& b = std::get<nexmark::bid>(e);
      bs += double(nexmark::accounted_size(b)), bn += 1;
      const bool is_hot = b.channel == "Google" || b.channel == "Facebook" || b.channel == "Baidu" || b.channel == "Apple";
      hot += is_hot;
      if (!is_hot) CHECK(b.channel.rfind("channel-", 0) == 0);
      CHECK(b.url.rfind("https://www.nexmark.com/", 0) == 0);
      CHECK(b.price >= 100);  // 10^[0, 6) * 100
      CHECK(b.price <= 100'000'000);
    }
  }
  CHECK(ps / pn == Approx(200).epsilon(0.03));
  CHECK(as / an == Approx(500).epsilon(0.03));
  CHECK(bs / bn == Approx(100).epsilon(0.03));
  CHECK(hot / bn == Approx(0.5).epsilon(0.03));
}

TEST_CASE("nexmark generator: event time advances at the configured rate, whatever the speed") {
  nexmark::config c;
  const nexmark::generator g(c);
  CHECK(nexmark::date_time_of(g(0)) == c.base_time);
  CHECK(nexmark::date_time_of(g(10'000)) == c.base_time + 1'000);  // 10 000 events/s
  CHECK(nexmark::date_time_of(g(12'345)) == c.base_time + 1'234);
  c.event_rate = 1'000;
  const nexmark::generator slow(c);
  CHECK(nexmark::date_time_of(slow(10'000)) == c.base_time + 10'000);
}

TEST_CASE("nexmark generator: deterministic for a seed, another seed, other events") {
  const nexmark::generator a, b;
  nexmark::config other;
  other.seed = 7;
  const nexmark::generator c(other);
  std::uint64_t diff = 0;
  for (std::uint64_t i = 0; i < 5'000; ++i) {
    REQUIRE(a(i) == b(i));
    diff += !(a(i) == c(i));
  }
  CHECK(diff > 4'000);
}

TEST_CASE("nexmark generator: out-of-order groups permute ids within a group, delayed events") {
  nexmark::config c;
  c.out_of_order_group_size = 10;
  const nexmark::generator g(c);
  std::set<std::int64_t> ids;
  bool permuted = false;
  for (std::int64_t n = 0; n < 1'000; ++n) {
    const auto id = g.event_id(n);
    CHECK(id / 10 == n / 10);
    permuted |= id != n;
    ids.insert(id);
  }
  CHECK(permuted);
  CHECK(ids.size() == 1'000);
  c = {};
  c.prob_delayed_event = 0.1;
  const nexmark::generator d(c);
  const nexmark::generator plain;
  double delayed = 0;
  for (std::uint64_t n = 0; n < 10'000; ++n) {
    const auto late = nexmark::date_time_of(plain(n)) - nexmark::date_time_of(d(n));
    CHECK(late >= 0);
    CHECK(late <= 3'000);
    delayed += late > 0;
  }
  CHECK(delayed / 10'000 == Approx(0.1).epsilon(0.2));
}

TEST_CASE("nexmark generator: shards are disjoint and together the whole sequence") {
  const nexmark::generator g;
  constexpr std::uint64_t n = 20'000;
  std::vector<std::uint64_t> whole, sharded;
  for (std::uint64_t i = 0; i < n; ++i) whole.push_back(std::visit([](const auto& x) { return nexmark::row_hash(x); }, g(i)));
  spate::run(nexmark::events(g, n) | spate::map([](const nexmark::event& e) {
               return std::visit([](const auto& x) { return nexmark::row_hash(x); }, e);
             }) | spate::collect_into(sharded),
             spate::parallelism{2});
  std::sort(whole.begin(), whole.end());
  std::sort(sharded.begin(), sharded.end());
  CHECK(sharded == whole);
  CHECK(std::adjacent_find(whole.begin(), whole.end()) == whole.end());  // no two events alike
  // the bid stream of the shards is the bids of the sequence
  std::vector<std::uint64_t> bids, bids_p2;
  for (std::uint64_t i = 0; i < n; ++i)
    if (auto b = g.bid_at(i)) bids.push_back(nexmark::row_hash(*b));
  spate::run(nexmark::bids(g, n) | spate::map([](const nexmark::bid& b) { return nexmark::row_hash(b); }) |
                 spate::collect_into(bids_p2),
             spate::parallelism{2});
  std::sort(bids.begin(), bids.end());
  std::sort(bids_p2.begin(), bids_p2.end());
  CHECK(bids_p2 == bids);
}
