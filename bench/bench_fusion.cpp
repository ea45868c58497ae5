// Fusion benchmarks: fusion/<pipeline>/<variant>, items_per_second counts the
// records that enter the pipeline. Variants:
//   handwritten  the loop a good C++ engineer writes for the job (keyed
//                pipelines: std::unordered_map; handwritten_flat: the same
//                loop on spate::state::hash_map, the table keyed stages use)
//   fused        spate::run / spate::run_batch (stages inlined into one loop)
//   unfused      spate::run_unfused / run_batch_unfused (a virtual call per stage)
//   rangev3      the same with range-v3 views, where range-v3 can express it
//   context_metrics_on / context_metrics_off
//                a spate::context (continuous, one thread) with its stage
//                metrics published (the default) or metering{false}: the
//                cost of the metrics (docs/observability.md)
// Every variant checks its result against the hand-written one and reports
// an error instead of a time when they differ. Results: docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <spate/spate.hpp>

#include <array>
#include <boost/hana/define_struct.hpp>
#include <cstdint>
#include <random>
#include <range/v3/numeric/accumulate.hpp>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/for_each.hpp>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

// ---------------------------------------------------------------- map_filter_sum
// ints -> x * 3 -> keep the odd ones -> sum.

constexpr std::size_t n_ints = 1'000'000;

const std::vector<int>& ints() {
  static const std::vector<int> v = [] {
    std::vector<int> r(n_ints);
    std::mt19937 rng(1);
    for (int& x : r) x = std::uniform_int_distribution<int>(-1000, 1000)(rng);
    return r;
  }();
  return v;
}

std::int64_t map_filter_sum_expected() {
  static const std::int64_t s = [] {
    std::int64_t sum = 0;
    for (int x : ints())
      if ((x * 3) % 2 != 0) sum += x * 3;
    return sum;
  }();
  return s;
}

template <class State>
void finish(State& state, bool ok, std::size_t records) {
  if (!ok) state.SkipWithError("result differs from the hand-written loop");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * records));
}

void map_filter_sum_handwritten(benchmark::State& state) {
  const std::vector<int>& v = ints();
  std::int64_t sum = 0;
  for (auto _ : state) {
    sum = 0;
    for (int x : v) {
      const int y = x * 3;
      if (y % 2 != 0) sum += y;
    }
    benchmark::DoNotOptimize(sum);
  }
  finish(state, sum == map_filter_sum_expected(), v.size());
}

auto map_filter_sum_job(std::int64_t& sum) {
  return spate::from_collection(ints()) | spate::map([](int x) { return x * 3; }) |
         spate::filter([](int y) { return y % 2 != 0; }) | spate::sum_into(sum);
}

void map_filter_sum_fused(benchmark::State& state) {
  std::int64_t sum = 0;
  const auto job = map_filter_sum_job(sum);
  for (auto _ : state) {
    sum = 0;
    spate::run(job);
    benchmark::DoNotOptimize(sum);
  }
  finish(state, sum == map_filter_sum_expected(), n_ints);
}

// The same with for_each adding to a captured reference: the store through
// the reference stays in the loop, which then does not vectorize.
void map_filter_sum_fused_for_each(benchmark::State& state) {
  std::int64_t sum = 0;
  const auto job = spate::from_collection(ints()) | spate::map([](int x) { return x * 3; }) |
                   spate::filter([](int y) { return y % 2 != 0; }) | spate::for_each([&sum](int y) { sum += y; });
  for (auto _ : state) {
    sum = 0;
    spate::run(job);
    benchmark::DoNotOptimize(sum);
  }
  finish(state, sum == map_filter_sum_expected(), n_ints);
}

void map_filter_sum_unfused(benchmark::State& state) {
  std::int64_t sum = 0;
  const auto job = map_filter_sum_job(sum);
  for (auto _ : state) {
    sum = 0;
    spate::run_unfused(job);
    benchmark::DoNotOptimize(sum);
  }
  finish(state, sum == map_filter_sum_expected(), n_ints);
}

void map_filter_sum_rangev3(benchmark::State& state) {
  const std::vector<int>& v = ints();
  std::int64_t sum = 0;
  for (auto _ : state) {
    sum = ranges::accumulate(v | ranges::views::transform([](int x) { return x * 3; }) |
                                 ranges::views::filter([](int y) { return y % 2 != 0; }),
                             std::int64_t{0});
    benchmark::DoNotOptimize(sum);
  }
  finish(state, sum == map_filter_sum_expected(), v.size());
}

// The same job in a context, with and without the stage metrics.
void map_filter_sum_context(benchmark::State& state, bool metrics) {
  std::int64_t sum = 0;
  const auto job = map_filter_sum_job(sum);
  for (auto _ : state) {
    sum = 0;
    spate::context ctx{spate::continuous{}, spate::metering{metrics}};
    ctx.add(job);
    ctx.start();
    ctx.await_termination();
    benchmark::DoNotOptimize(sum);
  }
  finish(state, sum == map_filter_sum_expected(), n_ints);
}
void map_filter_sum_metrics_on(benchmark::State& state) { map_filter_sum_context(state, true); }
void map_filter_sum_metrics_off(benchmark::State& state) { map_filter_sum_context(state, false); }

// ---------------------------------------------------------------- flatmap_cart
// Each x emits x * y for the 10 values y of a small table; all summed.

constexpr std::array<int, 10> ys{1, -2, 3, 5, -7, 11, 13, -17, 19, 23};

std::int64_t flatmap_cart_expected() {
  static const std::int64_t s = [] {
    std::int64_t sum = 0;
    for (int x : ints())
      for (int y : ys) sum += std::int64_t(x) * y;
    return sum;
  }();
  return s;
}

void flatmap_cart_handwritten(benchmark::State& state) {
  const std::vector<int>& v = ints();
  std::int64_t sum = 0;
  for (auto _ : state) {
    sum = 0;
    for (int x : v)
      for (int y : ys) sum += std::int64_t(x) * y;
    benchmark::DoNotOptimize(sum);
  }
  finish(state, sum == flatmap_cart_expected(), v.size());
}

auto flatmap_cart_job(std::int64_t& sum) {
  return spate::from_collection(ints()) | spate::flat_map([](int x) {
           return ys | ranges::views::transform([x](int y) { return std::int64_t(x) * y; });
         }) |
         spate::sum_into(sum);
}

void flatmap_cart_fused(benchmark::State& state) {
  std::int64_t sum = 0;
  const auto job = flatmap_cart_job(sum);
  for (auto _ : state) {
    sum = 0;
    spate::run(job);
    benchmark::DoNotOptimize(sum);
  }
  finish(state, sum == flatmap_cart_expected(), n_ints);
}

// The callback form of flat_map: f(x, emit).
void flatmap_cart_fused_emit(benchmark::State& state) {
  std::int64_t sum = 0;
  const auto job = spate::from_collection(ints()) | spate::flat_map<std::int64_t>([](int x, auto& emit) {
                     for (int y : ys) emit(std::int64_t(x) * y);
                   }) |
                   spate::sum_into(sum);
  for (auto _ : state) {
    sum = 0;
    spate::run(job);
    benchmark::DoNotOptimize(sum);
  }
  finish(state, sum == flatmap_cart_expected(), n_ints);
}

void flatmap_cart_context(benchmark::State& state, bool metrics) {
  std::int64_t sum = 0;
  const auto job = flatmap_cart_job(sum);
  for (auto _ : state) {
    sum = 0;
    spate::context ctx{spate::continuous{}, spate::metering{metrics}};
    ctx.add(job);
    ctx.start();
    ctx.await_termination();
    benchmark::DoNotOptimize(sum);
  }
  finish(state, sum == flatmap_cart_expected(), n_ints);
}
void flatmap_cart_metrics_on(benchmark::State& state) { flatmap_cart_context(state, true); }
void flatmap_cart_metrics_off(benchmark::State& state) { flatmap_cart_context(state, false); }

void flatmap_cart_unfused(benchmark::State& state) {
  std::int64_t sum = 0;
  const auto job = flatmap_cart_job(sum);
  for (auto _ : state) {
    sum = 0;
    spate::run_unfused(job);
    benchmark::DoNotOptimize(sum);
  }
  finish(state, sum == flatmap_cart_expected(), n_ints);
}

void flatmap_cart_rangev3(benchmark::State& state) {
  const std::vector<int>& v = ints();
  std::int64_t sum = 0;
  for (auto _ : state) {
    sum = ranges::accumulate(v | ranges::views::for_each([](int x) {
                               return ys | ranges::views::transform([x](int y) { return std::int64_t(x) * y; });
                             }),
                             std::int64_t{0});
    benchmark::DoNotOptimize(sum);
  }
  finish(state, sum == flatmap_cart_expected(), v.size());
}

// ---------------------------------------------------------------- wordcount
// Lines of whitespace-separated words -> the count of each word (batch: the
// final counts).

constexpr std::size_t n_lines = 100'000;

const std::vector<std::string>& lines() {
  static const std::vector<std::string> v = [] {
    std::mt19937 rng(2);
    std::vector<std::string> vocabulary(5000);
    for (auto& w : vocabulary) {
      const int len = std::uniform_int_distribution<int>(2, 12)(rng);
      for (int i = 0; i < len; ++i) w += char(std::uniform_int_distribution<int>('a', 'z')(rng));
    }
    // Zipf-like: low word indices are much more frequent.
    std::vector<std::string> r(n_lines);
    for (auto& line : r) {
      const int words = std::uniform_int_distribution<int>(4, 16)(rng);
      for (int i = 0; i < words; ++i) {
        const double u = std::uniform_real_distribution<double>(0, 1)(rng);
        line += vocabulary[std::size_t(double(vocabulary.size() - 1) * u * u * u)];
        line += (i % 5 == 4) ? "\t" : " ";
      }
    }
    return r;
  }();
  return v;
}

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using word_counts = std::unordered_map<std::string, std::int64_t, string_hash, std::equal_to<>>;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

word_counts count_words_by_hand(const std::vector<std::string>& text) {
  word_counts counts;
  for (const std::string& line : text) {
    const char* p = line.data();
    const char* end = p + line.size();
    while (p != end) {
      while (p != end && is_space(*p)) ++p;
      const char* b = p;
      while (p != end && !is_space(*p)) ++p;
      if (b == p) break;
      const std::string_view w(b, std::size_t(p - b));
      if (auto it = counts.find(w); it != counts.end())
        ++it->second;
      else
        counts.emplace(w, 1);
    }
  }
  return counts;
}

const word_counts& wordcount_expected() {
  static const word_counts c = count_words_by_hand(lines());
  return c;
}

void wordcount_handwritten(benchmark::State& state) {
  word_counts counts;
  for (auto _ : state) {
    counts = count_words_by_hand(lines());
    benchmark::DoNotOptimize(counts);
  }
  finish(state, counts == wordcount_expected(), n_lines);
}

// The same loop with the hash map spate's keyed stages use, to separate what
// the table costs from what the pipeline costs.
void wordcount_handwritten_flat(benchmark::State& state) {
  spate::state::hash_map<std::string, std::int64_t> counts;
  for (auto _ : state) {
    counts.clear();
    for (const std::string& line : lines())
      for (std::string_view w : spate::words(line)) ++counts.try_emplace_with(w, [] { return std::int64_t{0}; }).first->second;
    benchmark::DoNotOptimize(counts);
  }
  word_counts result;
  counts.for_each([&](const std::string& w, std::int64_t n) { result.emplace(w, n); });
  finish(state, result == wordcount_expected(), n_lines);
}

auto wordcount_job(word_counts& counts) {
  return spate::from_collection(lines()) | spate::flat_map([](const std::string& l) { return spate::words(l); }) |
         spate::key_by([](std::string_view w) { return w; }) | spate::count() | spate::collect_into(counts);
}

void wordcount_fused(benchmark::State& state) {
  word_counts counts;
  const auto job = wordcount_job(counts);
  for (auto _ : state) {
    counts.clear();
    spate::run_batch(job);
    benchmark::DoNotOptimize(counts);
  }
  finish(state, counts == wordcount_expected(), n_lines);
}

void wordcount_unfused(benchmark::State& state) {
  word_counts counts;
  const auto job = wordcount_job(counts);
  for (auto _ : state) {
    counts.clear();
    spate::run_batch_unfused(job);
    benchmark::DoNotOptimize(counts);
  }
  finish(state, counts == wordcount_expected(), n_lines);
}

// ---------------------------------------------------------------- struct_keyby_sum
// Hana-reflected structs keyed by a member, the amounts summed per key. The
// 1000 account ids are random 32-bit numbers, as ids are. (With the dense ids
// 0..999, std::unordered_map's identity hash and prime bucket count make a
// table without a single collision; see docs/benchmarks.md.)

struct trade {
  BOOST_HANA_DEFINE_STRUCT(trade, (std::int32_t, account), (std::int64_t, amount), (double, price));
};

const std::vector<trade>& trades() {
  static const std::vector<trade> v = [] {
    std::mt19937 rng(3);
    std::vector<std::int32_t> ids(1000);
    for (auto& id : ids) id = static_cast<std::int32_t>(rng());
    std::vector<trade> r(n_ints);
    for (auto& t : r)
      t = trade{ids[std::uniform_int_distribution<std::size_t>(0, ids.size() - 1)(rng)],
                std::uniform_int_distribution<std::int64_t>(-500, 500)(rng), 1.0};
    return r;
  }();
  return v;
}

using totals = std::unordered_map<std::int32_t, std::int64_t>;

const totals& struct_keyby_sum_expected() {
  static const totals t = [] {
    totals r;
    for (const trade& t : trades()) r[t.account] += t.amount;
    return r;
  }();
  return t;
}

void struct_keyby_sum_handwritten(benchmark::State& state) {
  totals sums;
  for (auto _ : state) {
    sums.clear();
    for (const trade& t : trades()) sums[t.account] += t.amount;
    benchmark::DoNotOptimize(sums);
  }
  finish(state, sums == struct_keyby_sum_expected(), n_ints);
}

void struct_keyby_sum_handwritten_flat(benchmark::State& state) {
  spate::state::hash_map<std::int32_t, std::int64_t> sums;
  for (auto _ : state) {
    sums.clear();
    for (const trade& t : trades()) sums[t.account] += t.amount;
    benchmark::DoNotOptimize(sums);
  }
  totals result;
  sums.for_each([&](std::int32_t k, std::int64_t v) { result.emplace(k, v); });
  finish(state, result == struct_keyby_sum_expected(), n_ints);
}

auto struct_keyby_sum_job(totals& sums) {
  return spate::from_collection(trades()) | spate::key_by(&trade::account) |
         spate::fold(std::int64_t{0}, [](std::int64_t acc, const trade& t) { return acc + t.amount; }) |
         spate::collect_into(sums);
}

void struct_keyby_sum_fused(benchmark::State& state) {
  totals sums;
  const auto job = struct_keyby_sum_job(sums);
  for (auto _ : state) {
    sums.clear();
    spate::run_batch(job);
    benchmark::DoNotOptimize(sums);
  }
  finish(state, sums == struct_keyby_sum_expected(), n_ints);
}

void struct_keyby_sum_unfused(benchmark::State& state) {
  totals sums;
  const auto job = struct_keyby_sum_job(sums);
  for (auto _ : state) {
    sums.clear();
    spate::run_batch_unfused(job);
    benchmark::DoNotOptimize(sums);
  }
  finish(state, sums == struct_keyby_sum_expected(), n_ints);
}

// ---------------------------------------------------------------- fan_out_2
// ints -> x * 3 -> two branches: the odd ones summed; the multiples of 5,
// divided by 5, summed. One read of the input (algebra/fan_out.hpp).

struct two_sums {
  std::int64_t odd = 0, fifths = 0;
  bool operator==(const two_sums&) const = default;
};

two_sums fan_out_expected() {
  static const two_sums t = [] {
    two_sums r;
    for (int x : ints()) {
      const int y = x * 3;
      if (y % 2 != 0) r.odd += y;
      if (y % 5 == 0) r.fifths += y / 5;
    }
    return r;
  }();
  return t;
}

void fan_out_handwritten(benchmark::State& state) {
  two_sums r;
  for (auto _ : state) {
    r = {};
    for (int x : ints()) {
      const int y = x * 3;
      if (y % 2 != 0) r.odd += y;
      if (y % 5 == 0) r.fifths += y / 5;
    }
    benchmark::DoNotOptimize(r);
  }
  finish(state, r == fan_out_expected(), n_ints);
}

void fan_out_fused(benchmark::State& state) {
  two_sums r;
  const auto job = spate::from_collection(ints()) | spate::map([](int x) { return x * 3; }) |
                   spate::fan_out(spate::branch() | spate::filter([](int y) { return y % 2 != 0; }) |
                                      spate::sum_into(r.odd),
                                  spate::branch() | spate::filter([](int y) { return y % 5 == 0; }) |
                                      spate::map([](int y) { return y / 5; }) | spate::sum_into(r.fifths));
  for (auto _ : state) {
    r = {};
    spate::run(job);
    benchmark::DoNotOptimize(r);
  }
  finish(state, r == fan_out_expected(), n_ints);
}

// ---------------------------------------------------------------- side_output
// ints keyed by x & 7, a process function: a running total per key for the
// records >= 0 (summed), the negative ones to a side output (summed).

inline constexpr spate::output_tag<"negative", int> negative_ints;

struct totals_or_negative {
  using state_type = std::int64_t;
  using output_type = std::int64_t;
  void process(int x, auto& ctx, auto& out) {
    if (x < 0)
      ctx.output(negative_ints, x);
    else
      out(ctx.state() += x);
  }
};

two_sums side_output_expected() {
  static const two_sums t = [] {
    two_sums r;
    std::int64_t running[8] = {};
    for (int x : ints()) {
      if (x < 0)
        r.fifths += x;
      else
        r.odd += running[x & 7] += x;
    }
    return r;
  }();
  return t;
}

void side_output_handwritten(benchmark::State& state) {
  two_sums r;
  spate::state::hash_map<int, std::int64_t> running;
  for (auto _ : state) {
    r = {};
    running.clear();
    for (int x : ints()) {
      auto [slot, inserted] = running.try_emplace(x & 7);
      (void)inserted;
      if (x < 0)
        r.fifths += x;
      else
        r.odd += slot->second += x;
    }
    benchmark::DoNotOptimize(r);
  }
  finish(state, r == side_output_expected(), n_ints);
}

void side_output_fused(benchmark::State& state) {
  two_sums r;
  const auto job = spate::from_collection(ints()) | spate::key_by([](int x) { return x & 7; }) |
                   spate::process(totals_or_negative{}) |
                   spate::fan_out(spate::branch() | spate::sum_into(r.odd),
                                  spate::branch(negative_ints) | spate::sum_into(r.fifths));
  for (auto _ : state) {
    r = {};
    spate::run(job);
    benchmark::DoNotOptimize(r);
  }
  finish(state, r == side_output_expected(), n_ints);
}

// The same process function with no side output (its negative records go
// to the main output, everything summed): what the process function itself
// costs against the hand-written loop, apart from the side output.
struct totals_and_negative {
  using state_type = std::int64_t;
  using output_type = std::int64_t;
  void process(int x, auto& ctx, auto& out) {
    if (x < 0)
      out(std::int64_t{x});
    else
      out(ctx.state() += x);
  }
};

void side_output_process_only(benchmark::State& state) {
  std::int64_t sum = 0;
  const auto job = spate::from_collection(ints()) | spate::key_by([](int x) { return x & 7; }) |
                   spate::process(totals_and_negative{}) | spate::sum_into(sum);
  for (auto _ : state) {
    sum = 0;
    spate::run(job);
    benchmark::DoNotOptimize(sum);
  }
  finish(state, sum == side_output_expected().odd + side_output_expected().fifths, n_ints);
}

}  // namespace

BENCHMARK(map_filter_sum_handwritten)->Name("fusion/map_filter_sum/handwritten");
BENCHMARK(map_filter_sum_fused)->Name("fusion/map_filter_sum/fused");
BENCHMARK(map_filter_sum_fused_for_each)->Name("fusion/map_filter_sum/fused_for_each");
BENCHMARK(map_filter_sum_unfused)->Name("fusion/map_filter_sum/unfused");
BENCHMARK(map_filter_sum_rangev3)->Name("fusion/map_filter_sum/rangev3");
BENCHMARK(map_filter_sum_metrics_off)->Name("fusion/map_filter_sum/context_metrics_off")->UseRealTime();
BENCHMARK(map_filter_sum_metrics_on)->Name("fusion/map_filter_sum/context_metrics_on")->UseRealTime();
BENCHMARK(wordcount_handwritten)->Name("fusion/wordcount/handwritten");
BENCHMARK(wordcount_handwritten_flat)->Name("fusion/wordcount/handwritten_flat");
BENCHMARK(wordcount_fused)->Name("fusion/wordcount/fused");
BENCHMARK(wordcount_unfused)->Name("fusion/wordcount/unfused");
BENCHMARK(flatmap_cart_handwritten)->Name("fusion/flatmap_cart/handwritten");
BENCHMARK(flatmap_cart_fused)->Name("fusion/flatmap_cart/fused");
BENCHMARK(flatmap_cart_fused_emit)->Name("fusion/flatmap_cart/fused_emit");
BENCHMARK(flatmap_cart_unfused)->Name("fusion/flatmap_cart/unfused");
BENCHMARK(flatmap_cart_rangev3)->Name("fusion/flatmap_cart/rangev3");
BENCHMARK(flatmap_cart_metrics_off)->Name("fusion/flatmap_cart/context_metrics_off")->UseRealTime();
BENCHMARK(flatmap_cart_metrics_on)->Name("fusion/flatmap_cart/context_metrics_on")->UseRealTime();
BENCHMARK(struct_keyby_sum_handwritten)->Name("fusion/struct_keyby_sum/handwritten");
BENCHMARK(struct_keyby_sum_handwritten_flat)->Name("fusion/struct_keyby_sum/handwritten_flat");
BENCHMARK(struct_keyby_sum_fused)->Name("fusion/struct_keyby_sum/fused");
BENCHMARK(struct_keyby_sum_unfused)->Name("fusion/struct_keyby_sum/unfused");
BENCHMARK(fan_out_handwritten)->Name("fusion/fan_out_2/handwritten");
BENCHMARK(fan_out_fused)->Name("fusion/fan_out_2/fused");
BENCHMARK(side_output_handwritten)->Name("fusion/side_output/handwritten");
BENCHMARK(side_output_fused)->Name("fusion/side_output/fused");
BENCHMARK(side_output_process_only)->Name("fusion/side_output/process_only");

BENCHMARK_MAIN();
