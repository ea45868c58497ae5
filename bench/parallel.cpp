// Scaling with parallelism: each case at P = 1 and P = 2, through
// spate::run(job, parallelism{P}) / run_batch(job, parallelism{P}) (the plan a
// context with parallelism{P} runs; P = 1 is the sequential run).
//   parallel/stateless_sum/P     generate longs -> map -> filter -> sum_into:
//                                at P = 2 two fused loops, a sum per worker,
//                                no queue
//   parallel/wordcount_rolling/P lines -> flat_map(words) -> key_by -> count
//                                -> collect_into(map), every update to the sink
//   parallel/wordcount_combined/P the same with combine_continuous{}: combined
//                                per key before the shuffle, flushed per chunk
//   parallel/wordcount_batch/P   the same under run_batch: final counts
//   parallel/tumbling_count/P    events -> watermarks -> key_by -> 1 s
//                                tumbling window -> count -> collect_into
//   parallel/keyed_heavy/P       format a CSV line, parse it, hash it 64
//                                rounds -> key_by(user) -> fold -> collect_into
// items_per_second is records in per second of wall time (needs two free
// cores to show the speed-up); cpu_ns_per_record is the CPU time of the whole
// process (every thread) per record in, which holds on a busy machine too.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <spate/exec.hpp>
#include <spate/spate.hpp>
#include <spate/window.hpp>

namespace {
using namespace std::chrono_literals;

double process_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Runs body per iteration and reports records/s and CPU per record.
template <class Body>
void measure(benchmark::State& state, std::uint64_t records, Body body) {
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) body();
  const double n = static_cast<double>(state.iterations() * records);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * records));
  state.counters["cpu_ns_per_record"] = (process_cpu_seconds() - cpu0) * 1e9 / n;
}

// --- stateless ---------------------------------------------------------------
constexpr std::uint64_t stateless_records = 50'000'000;

void stateless_sum(benchmark::State& state) {
  const spate::parallelism p{static_cast<std::size_t>(state.range(0))};
  measure(state, stateless_records, [&] {
    long total = 0;
    spate::run(spate::generate([](std::uint64_t i) { return static_cast<long>(i % 2001) - 1000; }, stateless_records)
                   | spate::map([](long x) { return x * 3; }) | spate::filter([](long x) { return x % 2 != 0; })
                   | spate::sum_into(total),
               p);
    benchmark::DoNotOptimize(total);
  });
}

// --- word count --------------------------------------------------------------
const std::vector<std::string>& text() {
  static const std::vector<std::string> lines = [] {
    std::mt19937 rng(42);
    std::vector<std::string> vocab;
    for (int i = 0; i < 5000; ++i) vocab.push_back("w" + std::to_string(i * 7919 % 100000));
    std::geometric_distribution<int> skew(0.002);  // skewed, as natural text
    std::uniform_int_distribution<int> n_words(4, 16);
    std::vector<std::string> out(200'000);
    for (auto& l : out) {
      int n = n_words(rng);
      for (int i = 0; i < n; ++i) {
        if (i) l += ' ';
        l += vocab[static_cast<std::size_t>(skew(rng)) % vocab.size()];
      }
    }
    return out;
  }();
  return lines;
}
std::uint64_t text_words() {
  static const std::uint64_t n = [] {
    std::uint64_t w = 0;
    for (const auto& l : text()) w += static_cast<std::uint64_t>(std::count(l.begin(), l.end(), ' ') + 1);
    return w;
  }();
  return n;
}
auto wordcount_job(std::unordered_map<std::string, std::int64_t>& out) {
  return spate::from_collection(text()) | spate::flat_map([](const std::string& l) { return spate::words(l); })
         | spate::key_by([](std::string_view w) { return w; }) | spate::count() | spate::collect_into(out);
}
void wordcount_rolling(benchmark::State& state) {
  const spate::parallelism p{static_cast<std::size_t>(state.range(0))};
  measure(state, text_words(), [&] {
    std::unordered_map<std::string, std::int64_t> counts;
    spate::run(wordcount_job(counts), p);
    benchmark::DoNotOptimize(counts);
  });
}
// Continuous, combined before the shuffle (combine_continuous{}): the sink
// sees each word's count after every chunk of source work, not after every
// word; the final counts are the same (checked).
void wordcount_combined(benchmark::State& state) {
  const spate::parallelism p{static_cast<std::size_t>(state.range(0))};
  std::unordered_map<std::string, std::int64_t> expected;
  spate::run(wordcount_job(expected));
  measure(state, text_words(), [&] {
    std::unordered_map<std::string, std::int64_t> counts;
    spate::run(wordcount_job(counts), p, spate::combine_continuous{});
    if (counts != expected) state.SkipWithError("combined counts differ from the sequential run");
    benchmark::DoNotOptimize(counts);
  });
}
void wordcount_batch(benchmark::State& state) {
  const spate::parallelism p{static_cast<std::size_t>(state.range(0))};
  measure(state, text_words(), [&] {
    std::unordered_map<std::string, std::int64_t> counts;
    spate::run_batch(wordcount_job(counts), p);
    benchmark::DoNotOptimize(counts);
  });
}

// --- keyed tumbling count ----------------------------------------------------
struct click {
  std::uint32_t user;
  std::int64_t ts;  // ms
};
constexpr std::uint64_t click_records = 4'000'000;

void tumbling_count(benchmark::State& state) {
  const spate::parallelism p{static_cast<std::size_t>(state.range(0))};
  measure(state, click_records, [&] {
    std::vector<spate::window_result<std::uint32_t, std::int64_t>> out;
    // 100 k users, 4 s of event time (one click per ms per 1000 users).
    spate::run(spate::generate(
                   [](std::uint64_t i) {
                     return click{static_cast<std::uint32_t>(i * 2654435761u % 100'000), static_cast<std::int64_t>(i / 1000)};
                   },
                   click_records)
                   | spate::with_watermarks(&click::ts, spate::bounded_out_of_orderness(100ms))
                   | spate::key_by(&click::user) | spate::window(spate::tumbling(1s), &click::ts) | spate::count()
                   | spate::collect_into(out),
               p);
    benchmark::DoNotOptimize(out);
  });
}

// --- CPU-heavy keyed ---------------------------------------------------------
constexpr std::uint64_t heavy_records = 200'000;

struct event {
  std::string user;
  std::uint64_t hash;
};

std::string make_line(std::uint64_t i) {
  char buf[96];
  int n = std::snprintf(buf, sizeof buf, "user-%04llu,%llu,%llu,clicked,/page/%llu",
                        static_cast<unsigned long long>(i % 1000), static_cast<unsigned long long>(i * 7919 % 100003),
                        static_cast<unsigned long long>(i), static_cast<unsigned long long>(i % 97));
  return std::string(buf, static_cast<std::size_t>(n));
}

event parse_and_hash(const std::string& line) {
  std::string_view s = line;
  auto c1 = s.find(',');
  auto c2 = s.find(',', c1 + 1);
  std::uint64_t amount = 0;
  std::from_chars(s.data() + c1 + 1, s.data() + c2, amount);
  std::uint64_t h = 1469598103934665603ull ^ amount;
  for (int round = 0; round < 64; ++round)
    for (char ch : s) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
  return {std::string(s.substr(0, c1)), h};
}

void keyed_heavy(benchmark::State& state) {
  const spate::parallelism p{static_cast<std::size_t>(state.range(0))};
  measure(state, heavy_records, [&] {
    std::map<std::string, std::uint64_t> sums;
    spate::run(spate::generate(make_line, heavy_records) | spate::map(parse_and_hash) | spate::key_by(&event::user)
                   | spate::fold(std::uint64_t{0}, [](std::uint64_t a, const event& e) { return a + e.hash; })
                   | spate::collect_into(sums),
               p);
    benchmark::DoNotOptimize(sums);
  });
}
}  // namespace

#define SPATE_PAR_BENCH(fn) \
  BENCHMARK(fn)->Name("parallel/" #fn)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0)
SPATE_PAR_BENCH(stateless_sum);
SPATE_PAR_BENCH(wordcount_rolling);
SPATE_PAR_BENCH(wordcount_combined);
SPATE_PAR_BENCH(wordcount_batch);
SPATE_PAR_BENCH(tumbling_count);
SPATE_PAR_BENCH(keyed_heavy);

BENCHMARK_MAIN();
