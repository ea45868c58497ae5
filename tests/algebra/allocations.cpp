// Zero allocations per record. This executable replaces the global operator
// new (tests/support/alloc_counter.cpp) and counts the allocations a run
// makes: a fused chain allocates what it needs once (state tables, buffers),
// never per record, so a run over 1,000,000 records allocates exactly as much
// as a run over 1,000.
#include <catch2/catch.hpp>

#include <spate/spate.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "temp_file.hpp"

namespace {

std::vector<int> iota_vector(std::size_t n) {
  std::vector<int> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = int(i % 1000);
  return v;
}

/// Allocations made by running what `make(n)` builds, and its result.
template <class Make, class Run>
std::pair<std::size_t, long> allocations_of(const Make& make, const Run& run, std::size_t n) {
  long sum = 0;
  auto job = make(n, sum);
  spate_test::allocation_scope scope;
  run(job);
  return {scope.count(), sum};
}

constexpr std::size_t small_n = 1'000, large_n = 1'000'000;
constexpr std::size_t setup_budget = 16;  // allocations a run may make once, whatever its length

}  // namespace

std::unique_ptr<int> kept;  // a global, so that the allocation cannot be elided

TEST_CASE("the counter counts", "[alloc]") {
  spate_test::allocation_scope scope;
  kept = std::make_unique<int>(1);
  CHECK(scope.count() == 1);
}

TEST_CASE("map | filter | flat_map | sum allocates nothing per record", "[alloc]") {
  std::vector<int> small = iota_vector(small_n), large = iota_vector(large_n);
  auto make = [&](std::size_t n, long& sum) {
    return spate::from_collection(n == small_n ? small : large) | spate::map([](int x) { return x * 3; }) |
           spate::filter([](int x) { return x % 2 == 0; }) |
           spate::flat_map([](int x) { return std::array<int, 2>{x, x + 1}; }) |
           spate::flat_map([](int x) {
             return ranges::views::iota(0, x % 3) | ranges::views::transform([x](int y) { return x + y; });
           }) |
           spate::for_each([&sum](int x) { sum += x; });
  };
  auto check = [&](const auto& run, const char* engine) {
    const auto [a_small, s_small] = allocations_of(make, run, small_n);
    const auto [a_large, s_large] = allocations_of(make, run, large_n);
    INFO(engine << ": " << a_small << " allocations for " << small_n << " records, " << a_large << " for "
                << large_n);
    CHECK(s_large > s_small);
    CHECK(a_large == a_small);
    CHECK(a_large <= setup_budget);
  };
  check([](const auto& j) { spate::run(j); }, "run");
  check([](const auto& j) { spate::run_batch(j); }, "run_batch");
  // The unfused engine allocates its nodes once, and nothing per record either.
  check([](const auto& j) { spate::run_unfused(j); }, "run_unfused");
}

TEST_CASE("generate | flat_map<Out> | take allocates nothing per record", "[alloc]") {
  auto make = [](std::size_t n, long& sum) {
    return spate::generate([](std::uint64_t i) { return long(i); }, spate::unbounded) |
           spate::flat_map<long>([](long x, auto& emit) {
             for (long i = 0; i < 4; ++i)
               if (!emit(x * i)) return;
           }) |
           spate::take(n) | spate::for_each([&sum](long x) { sum += x; });
  };
  const auto run = [](const auto& j) { spate::run(j); };
  const auto [a_small, s_small] = allocations_of(make, run, small_n);
  const auto [a_large, s_large] = allocations_of(make, run, large_n);
  CHECK(s_large > s_small);
  CHECK(a_large == a_small);
  CHECK(a_large <= setup_budget);
}

TEST_CASE("word count allocates per distinct word, not per record", "[alloc]") {
  const std::vector<std::string> vocabulary{"to", "be", "or", "not", "a", "long-enough-word-to-need-the-heap"};
  auto lines_of = [&](std::size_t n) {
    std::vector<std::string> lines(n);
    for (std::size_t i = 0; i < n; ++i)
      lines[i] = vocabulary[i % 6] + " " + vocabulary[(i * 7) % 6] + "  " + vocabulary[(i / 3) % 6];
    return lines;
  };
  std::vector<std::string> small = lines_of(small_n), large = lines_of(large_n / 4);
  auto make = [&](std::size_t n, long& sum) {
    return spate::from_collection(n == small_n ? small : large) |
           spate::flat_map([](const std::string& l) { return spate::words(l); }) |
           spate::key_by([](std::string_view w) { return w; }) | spate::count() |
           spate::for_each([&sum](const std::pair<std::string, std::int64_t>& kv) { sum += kv.second; });
  };
  for (auto run : {+[](const decltype(make(0, std::declval<long&>()))& j) { spate::run(j); },
                   +[](const decltype(make(0, std::declval<long&>()))& j) { spate::run_batch(j); }}) {
    const auto [a_small, s_small] = allocations_of(make, run, small_n);
    const auto [a_large, s_large] = allocations_of(make, run, large_n);
    INFO(a_small << " allocations for " << small_n << " lines, " << a_large << " for " << large_n / 4);
    CHECK(s_large > s_small);
    CHECK(a_large == a_small);
    CHECK(a_large <= setup_budget);
  }
}

TEST_CASE("text_file reuses its line buffer", "[alloc]") {
  auto file_of = [](std::size_t lines) {
    std::string text;
    for (std::size_t i = 0; i < lines; ++i) text += std::string(1 + i % 100, 'x') + "\n";
    return text;
  };
  spate_test::temp_file small("spate_alloc_small", file_of(small_n)), large("spate_alloc_large", file_of(large_n / 4));
  auto make = [&](std::size_t n, long& sum) {
    return spate::text_file(n == small_n ? small.path() : large.path()) |
           spate::map([](const std::string& l) { return long(l.size()); }) |
           spate::for_each([&sum](long x) { sum += x; });
  };
  const auto run = [](const auto& j) { spate::run(j); };
  const auto [a_small, s_small] = allocations_of(make, run, small_n);
  const auto [a_large, s_large] = allocations_of(make, run, large_n);
  INFO(a_small << " allocations for " << small_n << " lines, " << a_large << " for " << large_n / 4);
  CHECK(s_large > s_small);
  CHECK(a_large == a_small);
  CHECK(a_large <= setup_budget);
}

namespace {
struct side_rec {
  int key = 0;
  std::int64_t ts = 0;
  long value = 0;
};
std::vector<side_rec> side_records(std::size_t windows, long salt) {
  std::vector<side_rec> v;
  for (std::size_t w = 0; w < windows; ++w)
    for (int i = 0; i < 3; ++i) v.push_back({int(w % 7), std::int64_t(w * 10 + std::size_t(i)), long(w) + salt + i});
  return v;
}
// Both inputs with monotonous watermarks, connected and keyed by key.
auto connected_by_key(const std::vector<side_rec>& as, const std::vector<side_rec>& bs) {
  return spate::connect(spate::from_collection(as) | spate::with_watermarks(&side_rec::ts, spate::monotonous()),
                        spate::from_collection(bs) | spate::with_watermarks(&side_rec::ts, spate::monotonous())) |
         spate::key_by(&side_rec::key, &side_rec::key);
}
// The allocations of one run of job.
template <class Job>
long counted(Job&& job) {
  spate_test::allocation_scope scope;
  spate::run(std::forward<Job>(job));
  return long(scope.count());
}
}  // namespace

TEST_CASE("window_join and co_group allocate nothing per firing beyond the window's own state", "[alloc]") {
  // The window operator keeps each window's records (a vector per key and
  // window: its own allocations, the same for any window function). On top
  // of that, the join's sides and pairs, and co_group's sides, go into
  // buffers kept from one firing to the next: a run of 10 000 windows
  // allocates what a run with a function that only counts allocates, plus
  // the buffers' growth.
  using namespace std::chrono_literals;
  constexpr std::size_t windows = 10'000;
  const auto as = side_records(windows, 0), bs = side_records(windows, 100);
  auto inputs = [&] { return connected_by_key(as, bs); };
  long base_sum = 0, join_sum = 0, group_sum = 0;
  const auto base = counted(
      inputs() |
      spate::window(spate::tumbling(10ms), [](const auto& e) { return e.timestamp(); }) |
      spate::process([](const int&, spate::time_window, const auto& records) { return long(records.size()); }) |
      spate::for_each([&](const auto& w) { base_sum += w.value; }));
  const auto join = counted(inputs() |
                            spate::window_join(spate::tumbling(10ms),
                                               [](const side_rec& a, const side_rec& b) { return a.value * b.value; }) |
                            spate::for_each([&](long v) { join_sum += v; }));
  const auto group = counted(inputs() |
                             spate::co_group(spate::tumbling(10ms),
                                             [](const std::vector<side_rec>& a, const std::vector<side_rec>& b) {
                                               return long(a.size() * 10 + b.size());
                                             }) |
                             spate::for_each([&](const auto& w) { group_sum += w.value; }));
  INFO("allocations: counting window " << base << ", window_join " << join << ", co_group " << group);
  CHECK(base_sum == long(windows) * 6);
  CHECK(join_sum > 0);
  CHECK(group_sum == long(windows) * 33);
  CHECK(join <= base + 64);
  CHECK(group <= base + 64);
}

TEST_CASE("a window join's window of one record allocates nothing", "[alloc]") {
  // A join on a key of many values mostly sees windows of one record: the
  // first record of a window is kept inline in the window's table entry, so
  // 10 000 such windows cost the table's growth, not an allocation each (a
  // process() window keeps a vector per window: at least one each).
  using namespace std::chrono_literals;
  constexpr std::size_t windows = 10'000;
  std::vector<side_rec> as, bs;
  // 10 windows' time (the timers of one end share a list), 1000 keys each
  for (std::size_t w = 0; w < windows; ++w) as.push_back({int(w % 1000), std::int64_t(w / 1000 * 10), long(w)});
  bs.push_back({-1, 0, 0});  // a key of its own: input 2 is not empty, nothing pairs
  auto inputs = [&] { return connected_by_key(as, bs); };
  long pairs = 0, windows_seen = 0;
  const auto process = counted(
      inputs() | spate::window(spate::tumbling(10ms), [](const auto& e) { return e.timestamp(); }) |
      spate::process([](const int&, spate::time_window, const auto& records) { return long(records.size()); }) |
      spate::for_each([&](const auto&) { ++windows_seen; }));
  const auto join = counted(
      inputs() |
      spate::window_join(spate::tumbling(10ms), [](const side_rec& a, const side_rec& b) { return a.value * b.value; }) |
      spate::for_each([&](long) { ++pairs; }));
  INFO("allocations: process window " << process << ", window_join " << join);
  CHECK(windows_seen == long(windows) + 1);
  CHECK(pairs == 0);
  CHECK(process >= long(windows));
  CHECK(join < long(windows) / 10);
}
