// operators/<case>/<variant>: 1M generated bids over 10k auctions and 50k
// bidders (hashes of i), price a hash of i; rolling emission (spate::run),
// every output record counted and folded into a checksum, which both variants
// must agree on.
//   top_n           key_by(auction) | top_n<10>(descending(price)): each change
//                   of an auction's top 10 emitted (checksum: the size and the
//                   last price of each emitted ranking)
//   aggregates      key_by(auction) | aggregates(count(), count_if(cheap),
//                   count_distinct(bidder), count_distinct_if(bidder, cheap)):
//                   one tuple per record
//   keep_first      key_by(bidder) | keep_first(): each bidder's first bid
// Variants: fused is spate; handwritten the loop with std::unordered_map (and
// std::unordered_set for distinct values); handwritten_flat the same loop on
// spate's own table (state::hash_map), so that the table's cost and the
// stage's cost can be told apart. operators/baseline/pipeline_only is
// generate | map | for_each of every record: the pipeline without a stage.
#include <benchmark/benchmark.h>

#include <spate/spate.hpp>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace {
constexpr std::uint64_t n_bids = 1'000'000;
constexpr std::uint64_t n_auctions = 10'000;
constexpr std::uint64_t n_bidders = 50'000;

struct bid {
  std::int64_t auction;
  std::int64_t bidder;
  std::int64_t price;
};
inline bid make_bid(std::uint64_t i) {
  return {static_cast<std::int64_t>((i * 2654435761u) % n_auctions), static_cast<std::int64_t>((i * 40503u + 7) % n_bidders),
          static_cast<std::int64_t>((i * 2246822519u) % 1'000'000)};
}
inline bool cheap(const bid& b) { return b.price < 100'000; }

void report(benchmark::State& st, std::int64_t outputs, std::int64_t sum) {
  benchmark::DoNotOptimize(sum);
  st.counters["outputs"] = static_cast<double>(outputs / std::max<std::int64_t>(1, st.iterations()));
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * n_bids));
}

// --- top_n ---
struct ranking_sink {
  std::int64_t* outputs;
  std::int64_t* sum;
  void operator()(const std::pair<std::int64_t, std::vector<bid>>& kv) const {
    ++*outputs;
    *sum += static_cast<std::int64_t>(kv.second.size()) + kv.second.back().price;
  }
};
auto top_n_job(std::int64_t& outputs, std::int64_t& sum) {
  return spate::generate(make_bid, n_bids) | spate::key_by(&bid::auction) | spate::top_n<10>(spate::descending(&bid::price))
         | spate::for_each(ranking_sink{&outputs, &sum});
}
void top_n_fused(benchmark::State& st) {
  std::int64_t outputs = 0, sum = 0;
  for (auto _ : st) spate::run(top_n_job(outputs, sum));
  report(st, outputs, sum);
}
template <class Map = std::unordered_map<std::int64_t, std::vector<bid>>>
void top_n_hand(std::int64_t& outputs, std::int64_t& sum) {
  Map best;
  for (std::uint64_t i = 0; i < n_bids; ++i) {
    const bid b = make_bid(i);
    auto& v = best[b.auction];
    auto it = std::upper_bound(v.begin(), v.end(), b, [](const bid& x, const bid& y) { return x.price > y.price; });
    if (it == v.end() && v.size() >= 10) continue;
    const auto at = it - v.begin();
    if (v.size() >= 10) v.pop_back();
    v.insert(v.begin() + at, b);
    ++outputs;
    sum += static_cast<std::int64_t>(v.size()) + v.back().price;
  }
}
void top_n_handwritten(benchmark::State& st) {
  std::int64_t outputs = 0, sum = 0;
  for (auto _ : st) top_n_hand(outputs, sum);
  report(st, outputs, sum);
}
void top_n_handwritten_flat(benchmark::State& st) {
  std::int64_t outputs = 0, sum = 0;
  for (auto _ : st) top_n_hand<spate::state::hash_map<std::int64_t, std::vector<bid>>>(outputs, sum);
  report(st, outputs, sum);
}

// --- aggregates ---
using four = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>;
struct counts_sink {
  std::int64_t* outputs;
  std::int64_t* sum;
  void operator()(const std::pair<std::int64_t, four>& kv) const {
    ++*outputs;
    const auto& [a, b, c, d] = kv.second;
    *sum += a + 3 * b + 5 * c + 7 * d;
  }
};
auto aggregates_job(std::int64_t& outputs, std::int64_t& sum) {
  return spate::generate(make_bid, n_bids) | spate::key_by(&bid::auction)
         | spate::aggregates(spate::count(), spate::count_if(cheap), spate::count_distinct(&bid::bidder),
                             spate::count_distinct_if(&bid::bidder, cheap))
         | spate::for_each(counts_sink{&outputs, &sum});
}
void aggregates_fused(benchmark::State& st) {
  std::int64_t outputs = 0, sum = 0;
  for (auto _ : st) spate::run(aggregates_job(outputs, sum));
  report(st, outputs, sum);
}
struct std_set {
  std::unordered_set<std::int64_t> s;
  void insert(std::int64_t v) { s.insert(v); }
  std::size_t size() const { return s.size(); }
};
struct flat_set {
  spate::state::hash_map<std::int64_t, bool> s;
  void insert(std::int64_t v) { s.try_emplace(v); }
  std::size_t size() const { return s.size(); }
};
template <class Set, template <class...> class Map>
void aggregates_hand_with(std::int64_t& outputs, std::int64_t& sum) {
  struct acc {
    std::int64_t n = 0, n_cheap = 0;
    Set bidders, cheap_bidders;
  };
  Map<std::int64_t, acc> per;
  for (std::uint64_t i = 0; i < n_bids; ++i) {
    const bid b = make_bid(i);
    acc& a = per[b.auction];
    ++a.n;
    a.bidders.insert(b.bidder);
    if (cheap(b)) ++a.n_cheap, a.cheap_bidders.insert(b.bidder);
    ++outputs;
    sum += a.n + 3 * a.n_cheap + 5 * static_cast<std::int64_t>(a.bidders.size()) +
           7 * static_cast<std::int64_t>(a.cheap_bidders.size());
  }
}
template <class K, class V>
using std_map = std::unordered_map<K, V>;
template <class K, class V>
using flat_map = spate::state::hash_map<K, V>;
void aggregates_hand(std::int64_t& outputs, std::int64_t& sum) { aggregates_hand_with<std_set, std_map>(outputs, sum); }
void aggregates_handwritten(benchmark::State& st) {
  std::int64_t outputs = 0, sum = 0;
  for (auto _ : st) aggregates_hand(outputs, sum);
  report(st, outputs, sum);
}
void aggregates_handwritten_flat(benchmark::State& st) {
  std::int64_t outputs = 0, sum = 0;
  for (auto _ : st) aggregates_hand_with<flat_set, flat_map>(outputs, sum);
  report(st, outputs, sum);
}

// --- keep_first ---
struct bid_sink {
  std::int64_t* outputs;
  std::int64_t* sum;
  void operator()(const bid& b) const {
    ++*outputs;
    *sum += b.price;
  }
};
auto keep_first_job(std::int64_t& outputs, std::int64_t& sum) {
  return spate::generate(make_bid, n_bids) | spate::key_by(&bid::bidder) | spate::keep_first()
         | spate::for_each(bid_sink{&outputs, &sum});
}
void keep_first_fused(benchmark::State& st) {
  std::int64_t outputs = 0, sum = 0;
  for (auto _ : st) spate::run(keep_first_job(outputs, sum));
  report(st, outputs, sum);
}
void keep_first_hand(std::int64_t& outputs, std::int64_t& sum) {
  std::unordered_set<std::int64_t> seen;
  for (std::uint64_t i = 0; i < n_bids; ++i) {
    const bid b = make_bid(i);
    if (!seen.insert(b.bidder).second) continue;
    ++outputs;
    sum += b.price;
  }
}
void keep_first_handwritten(benchmark::State& st) {
  std::int64_t outputs = 0, sum = 0;
  for (auto _ : st) keep_first_hand(outputs, sum);
  report(st, outputs, sum);
}

// What the pipeline costs without a keyed stage: generate | key_by | sink.
void pipeline_only(benchmark::State& st) {
  std::int64_t outputs = 0, sum = 0;
  for (auto _ : st)
    spate::run(spate::generate(make_bid, n_bids) | spate::map([](const bid& b) { return b; }) | spate::for_each(bid_sink{&outputs, &sum}));
  report(st, outputs, sum);
}
void keep_first_handwritten_flat(benchmark::State& st) {
  std::int64_t outputs = 0, sum = 0;
  for (auto _ : st) {
    spate::state::hash_map<std::int64_t, std::int64_t> seen;
    for (std::uint64_t i = 0; i < n_bids; ++i) {
      const bid b = make_bid(i);
      if (!seen.try_emplace(b.bidder).second) continue;
      ++outputs;
      sum += b.price;
    }
  }
  report(st, outputs, sum);
}

// The variants must compute the same thing: checked once, before timing.
template <class Job, class Hand>
void agree(const char* what, Job job, Hand hand) {
  std::int64_t o1 = 0, s1 = 0, o2 = 0, s2 = 0;
  spate::run(job(o1, s1));
  hand(o2, s2);
  if (o1 != o2 || s1 != s2) throw std::runtime_error(std::string("bench_operators: the variants of ") + what + " differ");
}
}  // namespace

BENCHMARK(top_n_fused)->Name("operators/top_n/fused")->Unit(benchmark::kMillisecond);
BENCHMARK(top_n_handwritten)->Name("operators/top_n/handwritten")->Unit(benchmark::kMillisecond);
BENCHMARK(top_n_handwritten_flat)->Name("operators/top_n/handwritten_flat")->Unit(benchmark::kMillisecond);
BENCHMARK(aggregates_fused)->Name("operators/aggregates/fused")->Unit(benchmark::kMillisecond);
BENCHMARK(aggregates_handwritten)->Name("operators/aggregates/handwritten")->Unit(benchmark::kMillisecond);
BENCHMARK(aggregates_handwritten_flat)->Name("operators/aggregates/handwritten_flat")->Unit(benchmark::kMillisecond);
BENCHMARK(keep_first_fused)->Name("operators/keep_first/fused")->Unit(benchmark::kMillisecond);
BENCHMARK(keep_first_handwritten)->Name("operators/keep_first/handwritten")->Unit(benchmark::kMillisecond);
BENCHMARK(keep_first_handwritten_flat)->Name("operators/keep_first/handwritten_flat")->Unit(benchmark::kMillisecond);
BENCHMARK(pipeline_only)->Name("operators/baseline/pipeline_only")->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  agree("top_n", top_n_job, top_n_hand);
  agree("aggregates", aggregates_job, aggregates_hand);
  agree("keep_first", keep_first_job, keep_first_hand);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
