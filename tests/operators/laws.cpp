// The laws for top_n, the distinct counts and the deduplications: fused ==
// unfused, micro-batch (compacted) == continuous (rolling) in the last value
// per key, parallel == sequential (on what is free of the order in which a
// key's records from different shards interleave).
#include <catch2/catch.hpp>

#include <spate/algebra/dedup.hpp>
#include <spate/algebra/distinct.hpp>
#include <spate/algebra/top_n.hpp>
#include <spate/spate.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "common.hpp"
#include "laws.hpp"

using ops_test::bid;

namespace {
// Bids of a few auctions; prices and timestamps distinct, so that rankings
// and the latest / earliest bid of a key do not depend on arrival order.
std::vector<bid> random_bids(std::mt19937& rng) {
  std::uniform_int_distribution<int> n(0, 400), auction(0, 7), bidder(0, 20), price(0, 999), pick(0, 3);
  std::vector<bid> v(static_cast<std::size_t>(n(rng)));
  std::int64_t i = 0;
  for (bid& b : v) {
    b = bid{auction(rng), bidder(rng), price(rng) * 1000 + i, ((i * 7919) % 1009) * 10 + pick(rng)};
    ++i;
  }
  return v;
}

template <class Pairs>
auto last_per_key(const Pairs& out) {
  std::map<std::remove_cvref_t<decltype(out.front().first)>, std::remove_cvref_t<decltype(out.front().second)>> m;
  for (const auto& [k, v] : out) m[k] = v;
  return m;
}
auto last_bid_per_auction(const std::vector<bid>& out) {
  std::map<std::int64_t, bid> m;
  for (const bid& b : out) m[b.auction] = b;
  return m;
}
auto sorted(std::vector<bid> v) {
  std::sort(v.begin(), v.end(), [](const bid& a, const bid& b) { return a.price < b.price; });
  return v;
}

using ranking = std::vector<std::pair<std::int64_t, std::vector<bid>>>;
using four = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>;
using counts = std::vector<std::pair<std::int64_t, four>>;

// The micro-batch law on a sequential run: run_batch's output is run's
// compacted, so the last value per key agrees.
template <class Out, class Make, class Normalize>
void batch_equals_continuous(const Make& make, const Normalize& normalize) {
  Out rolling, batch;
  spate::run(make(rolling));
  spate::run_batch(make(batch));
  CHECK(normalize(batch) == normalize(rolling));
}
}  // namespace

TEST_CASE("operators: fused == unfused, batch == continuous, parallel == sequential", "[operators][law]") {
  std::mt19937 rng(20261202);
  auto cheap = [](const bid& b) { return b.price < 300000; };
  for (int round = 0; round < 3; ++round) {
    const auto in = random_bids(rng);
    auto top = [&](ranking& out) {
      return spate::from_collection(in) | spate::key_by(&bid::auction) | spate::top_n<3>(spate::descending(&bid::price))
             | spate::collect_into(out);
    };
    auto many = [&](counts& out) {
      return spate::from_collection(in) | spate::key_by(&bid::auction)
             | spate::aggregates(spate::count(), spate::count_if(cheap), spate::count_distinct(&bid::bidder),
                                 spate::count_distinct_if(&bid::bidder, cheap))
             | spate::collect_into(out);
    };
    auto first = [&](std::vector<bid>& out) {
      return spate::from_collection(in) | spate::key_by(&bid::auction) | spate::keep_first() | spate::collect_into(out);
    };
    auto latest = [&](std::vector<bid>& out) {
      return spate::from_collection(in) | spate::key_by(&bid::auction) | spate::keep_latest(&bid::ts)
             | spate::collect_into(out);
    };
    auto earliest = [&](std::vector<bid>& out) {
      return spate::from_collection(in) | spate::key_by(&bid::auction) | spate::keep_earliest(&bid::ts)
             | spate::collect_into(out);
    };
    auto last = [&](std::vector<bid>& out) {
      return spate::from_collection(in) | spate::key_by(&bid::auction) | spate::keep_last() | spate::collect_into(out);
    };
    spate_laws::fused_equals_unfused<ranking>(top);
    spate_laws::fused_equals_unfused<counts>(many);
    spate_laws::fused_equals_unfused<std::vector<bid>>(first);
    spate_laws::fused_equals_unfused<std::vector<bid>>(latest);
    spate_laws::fused_equals_unfused<std::vector<bid>>(earliest);
    spate_laws::fused_equals_unfused<std::vector<bid>>(last);

    batch_equals_continuous<ranking>(top, [](const ranking& o) { return last_per_key(o); });
    batch_equals_continuous<counts>(many, [](const counts& o) { return last_per_key(o); });
    batch_equals_continuous<std::vector<bid>>(first, sorted);
    batch_equals_continuous<std::vector<bid>>(latest, last_bid_per_auction);
    batch_equals_continuous<std::vector<bid>>(earliest, last_bid_per_auction);
    batch_equals_continuous<std::vector<bid>>(last, last_bid_per_auction);

    if (round == 0) {  // the contexts start threads: once is enough
      spate_laws::parallel_equals_sequential<ranking>(top, [](const ranking& o) { return last_per_key(o); });
      spate_laws::parallel_equals_sequential<counts>(many, [](const counts& o) { return last_per_key(o); });
      spate_laws::parallel_equals_sequential<std::vector<bid>>(latest, last_bid_per_auction);
      spate_laws::parallel_equals_sequential<std::vector<bid>>(earliest, last_bid_per_auction);
      // Which record of a key comes first depends on the shards' interleaving;
      // that each key comes out exactly once does not.
      spate_laws::parallel_equals_sequential<std::vector<bid>>(first, [](const std::vector<bid>& o) {
        std::multiset<std::int64_t> keys;
        for (const bid& b : o) keys.insert(b.auction);
        return keys;
      });
    }
  }
}

TEST_CASE("operators: windowed top_n and distinct counts, parallel == sequential", "[operators][law][window]") {
  using namespace std::chrono_literals;
  std::mt19937 rng(11);
  const auto in = random_bids(rng);
  using top_windows = std::vector<spate::window_result<std::int64_t, std::vector<bid>>>;
  using distinct_windows = std::vector<spate::window_result<std::int64_t, std::int64_t>>;
  auto top = [&](top_windows& out) {
    return spate::from_collection(in) | spate::with_watermarks(&bid::ts, spate::bounded_out_of_orderness(20s))
           | spate::key_by(&bid::auction) | spate::window(spate::sliding(2s, 1s), &bid::ts)
           | spate::top_n<2>(spate::descending(&bid::price)) | spate::collect_into(out);
  };
  auto distinct = [&](distinct_windows& out) {
    return spate::from_collection(in) | spate::with_watermarks(&bid::ts, spate::bounded_out_of_orderness(20s))
           | spate::key_by(&bid::auction) | spate::window(spate::tumbling(1s), &bid::ts)
           | spate::count_distinct(&bid::bidder) | spate::collect_into(out);
  };
  auto by_window = [](auto out) {
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::tie(a.key, a.start) < std::tie(b.key, b.start);
    });
    return out;
  };
  spate_laws::fused_equals_unfused<top_windows>(top);
  spate_laws::fused_equals_unfused<distinct_windows>(distinct);
  spate_laws::parallel_equals_sequential<top_windows>(top, by_window);
  spate_laws::parallel_equals_sequential<distinct_windows>(distinct, by_window);
}
