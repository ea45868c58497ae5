// restore(snapshot(s)) == s for top_n, the distinct counts and the
// deduplications, rolling and compacted, and their state moved from P to P'
// chains by key group (tests/support/laws.hpp), on random inputs.
#include <catch2/catch.hpp>

#include <spate/algebra/dedup.hpp>
#include <spate/algebra/distinct.hpp>
#include <spate/algebra/top_n.hpp>
#include <spate/spate.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common.hpp"
#include "laws.hpp"

using ops_test::bid;
using namespace std::chrono_literals;

namespace {
using ev = spate_laws::event<bid>;

// Bids of a few auctions, timestamps a little out of order (never behind the
// watermark), watermarks and batch ends now and then.
std::vector<ev> random_events(std::mt19937& rng, bool batch_ends) {
  std::uniform_int_distribution<int> n(0, 300), auction(0, 6), bidder(0, 12), price(0, 50), jitter(0, 40), pick(0, 99);
  std::vector<ev> out;
  std::int64_t t = 0, wm = 0;
  const int len = n(rng);
  for (int i = 0; i < len; ++i) {
    t += jitter(rng) / 4;
    const int r = pick(rng);
    if (r < 80) {
      out.emplace_back(bid{auction(rng), bidder(rng), price(rng), t + jitter(rng) - 20});
    } else if (r < 92) {
      wm = std::max(wm, t - 30);
      out.emplace_back(spate::from_millis(wm));
    } else if (batch_ends) {
      out.emplace_back(spate_laws::batch_end{});
    }
  }
  return out;
}

// The order of keys within one batch end (compacted) or one watermark is the
// table's, which a restored table need not share: compare per key, in order.
struct per_key {
  template <class R>
  std::vector<R> operator()(std::vector<R> rs) const {
    std::stable_sort(rs.begin(), rs.end(), [](const R& a, const R& b) { return key(a) < key(b); });
    return rs;
  }
  static std::int64_t key(const bid& b) { return b.auction; }
  template <class V>
  static std::int64_t key(const std::pair<std::int64_t, V>& p) { return p.first; }
  template <class V>
  static std::int64_t key(const spate::window_result<std::int64_t, V>& w) { return w.key; }
};

auto top = [](auto& out) {
  return spate::from_elements(bid{}) | spate::key_by(&bid::auction) | spate::top_n<3>(spate::descending(&bid::price))
         | spate::collect_into(out);
};
auto cheap = [](const bid& b) { return b.price < 20; };
auto many = [](auto& out) {
  return spate::from_elements(bid{}) | spate::key_by(&bid::auction)
         | spate::aggregates(spate::count(), spate::count_if(cheap), spate::count_distinct(&bid::bidder),
                             spate::count_distinct_if(&bid::bidder, cheap))
         | spate::collect_into(out);
};
auto extremes = [](auto& out) {
  return spate::from_elements(bid{}) | spate::key_by(&bid::auction)
         | spate::aggregates(spate::max_of(&bid::price), spate::min_of(&bid::ts), spate::sum_of(&bid::price))
         | spate::collect_into(out);
};
auto first_expiring = [](auto& out) {
  return spate::from_elements(bid{}) | spate::key_by(&bid::auction) | spate::keep_first().expire_after(40ms, &bid::ts)
         | spate::collect_into(out);
};
auto latest = [](auto& out) {
  return spate::from_elements(bid{}) | spate::key_by(&bid::auction) | spate::keep_latest(&bid::ts) | spate::collect_into(out);
};
auto last = [](auto& out) {
  return spate::from_elements(bid{}) | spate::key_by(&bid::auction) | spate::keep_last() | spate::collect_into(out);
};
auto windowed_distinct = [](auto& out) {
  return spate::from_elements(bid{}) | spate::key_by(&bid::auction) | spate::window(spate::sliding(60ms, 20ms), &bid::ts)
         | spate::aggregates(spate::count_distinct(&bid::bidder), spate::count_if(cheap)) | spate::collect_into(out);
};
auto windowed_top = [](auto& out) {
  return spate::from_elements(bid{}) | spate::key_by(&bid::auction) | spate::window(spate::tumbling(50ms), &bid::ts)
         | spate::top_n<2>(spate::ascending(&bid::price)) | spate::collect_into(out);
};

using ranking = std::vector<std::pair<std::int64_t, std::vector<bid>>>;
using four = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>;
using counts = std::vector<std::pair<std::int64_t, four>>;
using three = std::vector<std::pair<std::int64_t, std::tuple<std::int64_t, std::int64_t, std::int64_t>>>;
using bids = std::vector<bid>;
using distinct_windows = std::vector<spate::window_result<std::int64_t, std::tuple<std::int64_t, std::int64_t>>>;
using top_windows = std::vector<spate::window_result<std::int64_t, std::vector<bid>>>;
}  // namespace

// A window's tuple of counts has no operator<< (the tuple is std's): say how
// Catch prints it.
template <>
struct Catch::StringMaker<spate::window_result<std::int64_t, std::tuple<std::int64_t, std::int64_t>>> {
  static std::string convert(const spate::window_result<std::int64_t, std::tuple<std::int64_t, std::int64_t>>& w) {
    return "(" + std::to_string(w.key) + ", [" + std::to_string(spate::to_millis(w.start)) + ", " +
           std::to_string(spate::to_millis(w.end)) + "), " + std::to_string(std::get<0>(w.value)) + ", " +
           std::to_string(std::get<1>(w.value)) + ")";
  }
};

TEST_CASE("restore law: top_n, aggregates, keep_* (rolling and compacted), windowed", "[operators][law][snapshot]") {
  std::mt19937 rng(20261203);
  for (int round = 0; round < 25; ++round) {
    const bool batched = round % 2 == 1;
    auto events = random_events(rng, batched);
    const std::size_t cut = events.empty() ? 0 : std::uniform_int_distribution<std::size_t>(0, events.size())(rng);
    if (!batched) {
      spate_laws::restore_equals_uninterrupted<ranking>(top, events, cut, per_key{});
      spate_laws::restore_equals_uninterrupted<counts>(many, events, cut, per_key{});
      spate_laws::restore_equals_uninterrupted<three>(extremes, events, cut, per_key{});
      spate_laws::restore_equals_uninterrupted<bids>(first_expiring, events, cut, per_key{});
      spate_laws::restore_equals_uninterrupted<bids>(latest, events, cut, per_key{});
      spate_laws::restore_equals_uninterrupted<bids>(last, events, cut, per_key{});
      spate_laws::restore_equals_uninterrupted<distinct_windows>(windowed_distinct, events, cut, per_key{});
      spate_laws::restore_equals_uninterrupted<top_windows>(windowed_top, events, cut, per_key{});
    } else {
      spate_laws::restore_equals_uninterrupted<ranking, spate::compacted_env>(top, events, cut, per_key{});
      spate_laws::restore_equals_uninterrupted<counts, spate::compacted_env>(many, events, cut, per_key{});
      spate_laws::restore_equals_uninterrupted<three, spate::compacted_env>(extremes, events, cut, per_key{});
      spate_laws::restore_equals_uninterrupted<bids, spate::compacted_env>(first_expiring, events, cut, per_key{});
      spate_laws::restore_equals_uninterrupted<bids, spate::compacted_env>(latest, events, cut, per_key{});
      spate_laws::restore_equals_uninterrupted<bids, spate::compacted_env>(last, events, cut, per_key{});
    }
  }
}

TEST_CASE("rescale law: top_n, aggregates, keep_* move from P to P' by key group", "[operators][law][snapshot][rescale]") {
  std::mt19937 rng(20261204);
  auto key = [](const bid& b) { return b.auction; };
  for (int round = 0; round < 6; ++round) {
    auto events = random_events(rng, false);
    const std::size_t cut = events.empty() ? 0 : std::uniform_int_distribution<std::size_t>(0, events.size())(rng);
    for (auto [from, to] : {std::pair<std::size_t, std::size_t>{2, 1}, {1, 3}, {3, 2}}) {
      spate_laws::rescale_equals_uninterrupted<ranking>(top, events, cut, key, from, to, per_key{});
      spate_laws::rescale_equals_uninterrupted<counts>(many, events, cut, key, from, to, per_key{});
      spate_laws::rescale_equals_uninterrupted<three>(extremes, events, cut, key, from, to, per_key{});
      spate_laws::rescale_equals_uninterrupted<bids>(first_expiring, events, cut, key, from, to, per_key{});
      spate_laws::rescale_equals_uninterrupted<bids>(latest, events, cut, key, from, to, per_key{});
      spate_laws::rescale_equals_uninterrupted<distinct_windows>(windowed_distinct, events, cut, key, from, to, per_key{});
    }
  }
}

TEST_CASE("restore refuses bytes that are not a snapshot of the stage", "[operators][snapshot]") {
  spate::rolling_env env;
  ranking r;
  bids b;
  counts c;
  auto t = spate::fuse::build(env, top(r));
  auto f = spate::fuse::build(env, first_expiring(b));
  auto m = spate::fuse::build(env, many(c));
  spate::chain_snapshot junk;
  junk.states.push_back(std::string("\x01\x02garbage", 9));
  CHECK_FALSE(spate::restore_chain(t, junk));
  CHECK_FALSE(spate::restore_chain(f, junk));
  CHECK_FALSE(spate::restore_chain(m, junk));
}
