// User functions with state of their own: `mutable` lambdas and functors with a
// non-const operator() (a Flink MapFunction with a field). Every stage accepts
// them; each built stage calls its own copy, so running a job again starts
// from the descriptor's copy, and each parallel instance counts for itself,
// as each Flink subtask has its own function instance.
#include <catch2/catch.hpp>

#include <spate/spate.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

namespace {

// A Flink MapFunction with a field: numbers the records it sees.
struct numbering {
  long seen = 0;
  std::pair<long, std::string> operator()(const std::string& s) { return {++seen, s}; }
};

// A Flink AggregateFunction whose methods are not const: it counts its add calls.
struct counting_sum {
  long adds = 0;
  long create_accumulator() { return 0; }
  long add(int x, long acc) {
    ++adds;
    return acc + x * 1000 + adds;
  }
  long get_result(long acc) { return acc; }
  long merge(long a, long b) { return a + b; }
};

// A keyed process function with a field, updated by a non-const process().
struct numbered_per_key {
  using output_type = std::string;
  int calls = 0;
  void process(const std::pair<char, int>& r, auto& ctx, auto& out) {
    out.collect(std::string(1, ctx.key()) + std::to_string(r.second) + "#" + std::to_string(++calls));
  }
};

template <class J>
void run_in_context(std::size_t p, J job) {
  spate::context ctx{spate::continuous{}, spate::parallelism{p}};
  ctx.add(std::move(job));
  ctx.start();
  ctx.await_termination();
}

}  // namespace

TEST_CASE("a mutable lambda and a functor with a non-const operator() work in map", "[algebra][mutable][map]") {
  std::vector<int> out;
  spate::run(spate::from_elements(1, 2, 3) | spate::map([n = 0](int x) mutable { return x * 100 + ++n; }) |
             spate::collect_into(out));
  CHECK(out == std::vector<int>{101, 202, 303});

  // Each run builds the stage from the descriptor's copy, which no run
  // changes: the second run numbers from 1 again, fused or unfused.
  auto job = [](std::vector<std::pair<long, std::string>>& into) {
    return spate::from_elements(std::string("a"), std::string("b")) | spate::map(numbering{}) | spate::collect_into(into);
  };
  const std::vector<std::pair<long, std::string>> want{{1, "a"}, {2, "b"}};
  std::vector<std::pair<long, std::string>> first, second, unfused;
  auto j = job(first);
  spate::run(j);
  CHECK(first == want);
  auto k = job(second);
  spate::run(k);
  spate::run(k);  // the same job value twice: 1, 2 both times
  CHECK(second == std::vector<std::pair<long, std::string>>{{1, "a"}, {2, "b"}, {1, "a"}, {2, "b"}});
  spate::run_unfused(job(unfused));
  CHECK(unfused == want);
}

TEST_CASE("mutable functions in filter, flat_map, inspect and key_by", "[algebra][mutable]") {
  std::vector<int> every_second;
  spate::run(spate::from_elements(1, 2, 3, 4, 5) | spate::filter([n = 0](int) mutable { return ++n % 2 == 0; }) |
             spate::collect_into(every_second));
  CHECK(every_second == std::vector<int>{2, 4});

  std::vector<int> growing;  // the n-th record is repeated n times
  spate::run(spate::from_elements(7, 8, 9) | spate::flat_map([n = 0](int x) mutable { return std::vector<int>(++n, x); }) |
             spate::collect_into(growing));
  CHECK(growing == std::vector<int>{7, 8, 8, 9, 9, 9});

  std::vector<int> emitted;
  spate::run(spate::from_elements(5, 6) | spate::flat_map<int>([n = 0](int x, auto& emit) mutable {
               emit(x);
               emit(++n);
             }) |
             spate::collect_into(emitted));
  CHECK(emitted == std::vector<int>{5, 1, 6, 2});

  std::vector<int> seen_counts;
  spate::run(spate::from_elements(1, 1, 1) | spate::inspect([n = 0, into = &seen_counts](int) mutable {
               into->push_back(++n);
             }) |
             spate::for_each([](int) {}));
  CHECK(seen_counts == std::vector<int>{1, 2, 3});

  // A key that depends on the call count: records 0, 1 get key 0; 2, 3 key 1.
  std::vector<std::pair<int, std::int64_t>> counts;
  spate::run(spate::from_elements(std::string("a"), std::string("b"), std::string("c"), std::string("d")) |
             spate::key_by([n = 0](const std::string&) mutable { return n++ / 2; }) | spate::count() |
             spate::collect_into(counts));
  CHECK(counts == std::vector<std::pair<int, std::int64_t>>{{0, 1}, {0, 2}, {1, 1}, {1, 2}});
}

TEST_CASE("mutable functions in reduce, fold and aggregate", "[algebra][mutable][keyed]") {
  auto input = [] { return spate::from_elements(std::pair{'a', 1}, std::pair{'b', 2}, std::pair{'a', 3}); };

  std::vector<std::pair<char, std::pair<char, int>>> reduced;
  spate::run(input() | spate::key_by<0>() |
             spate::reduce([calls = 0](std::pair<char, int> a, const std::pair<char, int>& b) mutable {
               a.second += b.second * 10 + ++calls;  // calls: 1 at the first combination
               return a;
             }) |
             spate::collect_into(reduced));
  CHECK(reduced.back() == std::pair{'a', std::pair{'a', 1 + 30 + 1}});

  std::vector<std::pair<char, int>> folded;
  spate::run(input() | spate::key_by<0>() |
             spate::fold(0, [calls = 0](int acc, const std::pair<char, int>& p) mutable {
               return acc + p.second * 10 + ++calls;
             }) |
             spate::collect_into(folded));
  // One fold function for all keys: its calls go 1, 2, 3 across a, b, a.
  CHECK(folded == std::vector<std::pair<char, int>>{{'a', 11}, {'b', 22}, {'a', 11 + 33}});

  std::vector<std::pair<char, long>> aggregated;
  spate::run(spate::from_elements(1, 2) | spate::key_by([](int) { return 'a'; }) | spate::aggregate(counting_sum{}) |
             spate::collect_into(aggregated));
  CHECK(aggregated == std::vector<std::pair<char, long>>{{'a', 1001}, {'a', 1001 + 2002}});
}

TEST_CASE("mutable functions in process, map_with_state, update_state_by_key, reduce_by_key_and_window",
          "[algebra][mutable][state]") {
  std::vector<std::string> processed;
  spate::run(spate::from_elements(std::pair{'a', 1}, std::pair{'b', 2}, std::pair{'a', 3}) | spate::key_by<0>() |
             spate::process(numbered_per_key{}) | spate::collect_into(processed));
  CHECK(processed == std::vector<std::string>{"a1#1", "b2#2", "a3#3"});

  std::vector<std::string> mapped;
  spate::run(spate::from_elements(std::pair{'a', 1}, std::pair{'a', 2}) | spate::key_by<0>() |
             spate::map_with_state<int>([calls = 0](char k, const std::pair<char, int>* r, spate::state_handle<int>& st) mutable {
               st.update(st.exists() ? st.get() + r->second : r->second);
               return std::string(1, k) + std::to_string(st.get()) + "#" + std::to_string(++calls);
             }) |
             spate::collect_into(mapped));
  CHECK(mapped == std::vector<std::string>{"a1#1", "a3#2"});

  std::vector<std::pair<char, int>> updated;
  spate::run_batch(spate::from_elements(std::pair{'a', 1}, std::pair{'a', 2}) | spate::key_by<0>() |
                   spate::update_state_by_key<int>([calls = 0](const std::vector<std::pair<char, int>>& fresh,
                                                               const std::optional<int>& st) mutable -> std::optional<int> {
                     return st.value_or(0) + static_cast<int>(fresh.size()) * 10 + ++calls;
                   }) |
                   spate::collect_into(updated));
  CHECK(updated == std::vector<std::pair<char, int>>{{'a', 21}});

  spate::script<std::pair<char, int>> s;
  s.record({'a', 1}).batch_end(spate::from_millis(1000)).record({'a', 2}).batch_end(spate::from_millis(2000));
  std::vector<int> sums;
  using P = std::pair<char, int>;
  spate::run(spate::from_script(s) | spate::key_by<0>() |
             spate::reduce_by_key_and_window([](P a, const P& b) { a.second += b.second; return a; },
                                             [calls = 0](P a, const P& b) mutable {
                                               a.second -= b.second - 100 * ++calls;  // marks each inverse call
                                               return a;
                                             },
                                             1s, 1s) |
             spate::map([](const auto& w) { return w.value.second; }) | spate::collect_into(sums));
  CHECK(sums == std::vector<int>{1, 102});
}

TEST_CASE("each parallel instance of a stage has its own copy of a mutable function", "[algebra][mutable][parallel]") {
  std::vector<int> in(600);
  for (int i = 0; i < 600; ++i) in[static_cast<std::size_t>(i)] = i;
  for (std::size_t p : {2u, 3u}) {
    CAPTURE(p);
    // Before key_by (in the P source threads) and after it (in the P workers),
    // each map numbers the records it sees itself: P instances each number
    // from 1, and no number is shared by two records of one instance. One
    // shared copy would number the 600 records 1..600 (and race).
    std::vector<std::pair<int, long>> numbered;
    run_in_context(p, spate::from_collection(in) | spate::map([n = 0L](int x) mutable { return std::pair(x, ++n); }) |
                          spate::collect_into(numbered));
    REQUIRE(numbered.size() == in.size());
    CHECK(std::count_if(numbered.begin(), numbered.end(), [](const auto& r) { return r.second == 1; }) ==
          static_cast<long>(p));
    CHECK(std::max_element(numbered.begin(), numbered.end(), [](auto& a, auto& b) { return a.second < b.second; })
              ->second < 600);

    std::vector<long> after_key_by;
    // The key function has state too (it counts its calls); the shuffle in
    // each source thread calls its own copy.
    run_in_context(p, spate::from_collection(in) |
                          spate::key_by([calls = 0L](int x) mutable { return x % 60 + 0 * ++calls; }) | spate::count() |
                          spate::map([n = 0L](const std::pair<int, std::int64_t>&) mutable { return ++n; }) |
                          spate::collect_into(after_key_by));
    REQUIRE(after_key_by.size() == in.size());  // a rolling count: one update per record
    CHECK(std::count(after_key_by.begin(), after_key_by.end(), 1L) == static_cast<long>(p));
  }
}
