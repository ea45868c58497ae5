// transform (algebra/transform.hpp): Spark's DStream.transform.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <ranges>
#include <set>
#include <string>
#include <vector>

#include "support.hpp"

using spate_laws::batch_end;

namespace {
struct click {
  std::string user;
  int page = 0;
};
}  // namespace

TEST_CASE("transform: each batch's records through f, results before the batch end", "[spark][transform]") {
  std::vector<std::string> out;
  // [doc:transform]
  // per batch: sort by user and keep one click per user (Spark: rdd.sortBy(...).distinct())
  auto job = spate::from_elements(click{}) |
             spate::transform([](std::vector<click>& cs, spate::batch_info b) {
               std::ranges::stable_sort(cs, {}, &click::user);
               auto last = std::ranges::unique(cs, {}, &click::user).begin();
               cs.erase(last, cs.end());
               for (auto& c : cs) c.user += "@" + std::to_string(b.number);
               return std::move(cs);
             }) |
             spate::map([](const click& c) { return c.user; }) | spate::collect_into(out);
  // [end]
  spark_test::feed_batched<decltype(job), click>(
      job, {click{"b", 1}, click{"a", 2}, click{"b", 3}, batch_end{}, batch_end{}, click{"c", 4}, click{"c", 5}, batch_end{}});
  CHECK(out == std::vector<std::string>{"a@0", "b@0", "c@2"});
}

TEST_CASE("transform: a view of the records, records made from nothing, and a downstream stop", "[spark][transform]") {
  std::vector<int> out;
  // A view of the stage's buffer lives until its records are sent.
  auto evens = spate::from_elements(0) |
               spate::transform([](std::vector<int>& rs) { return rs | std::views::filter([](int x) { return x % 2 == 0; }); }) |
               spate::collect_into(out);
  spark_test::feed_batched<decltype(evens), int>(evens, {1, 2, 3, 4, batch_end{}, 6, 7});
  CHECK(out == std::vector<int>{2, 4, 6});  // the records after the last batch end: a last batch at the end

  // f runs for empty batches too (Spark calls transform per RDD): here it emits the batch size.
  std::vector<std::size_t> sizes;
  // [doc:dstream_count]
  // Spark's DStream.count(): one record per batch, its number of records
  auto counted = spate::from_elements(0) |
                 spate::transform([](const std::vector<int>& rs) { return std::vector<std::size_t>{rs.size()}; }) |
                 spate::collect_into(sizes);
  // [end]
  spark_test::feed_batched<decltype(counted), int>(counted, {1, 2, batch_end{}, batch_end{}, 3, batch_end{}});
  CHECK(sizes == std::vector<std::size_t>{2, 0, 1});

  std::vector<int> first;
  auto taken = spate::from_elements(0) | spate::transform([](std::vector<int>& rs) -> std::vector<int>& { return rs; }) |
               spate::take(3) | spate::collect_into(first);
  spark_test::feed_batched<decltype(taken), int>(taken, {1, 2, batch_end{}, 3, 4, 5, batch_end{}, 6, batch_end{}});
  CHECK(first == std::vector<int>{1, 2, 3});
}

TEST_CASE("transform: fused == unfused, parallel == sequential for per-key work after key_by", "[spark][transform][parallel]") {
  std::mt19937 rng(1302);
  std::vector<int> input(5000);
  for (int& x : input) x = std::uniform_int_distribution<int>(0, 700)(rng);
  // per batch, each key once (dedupe per key): every worker holds all records of its keys
  auto make = [&](std::vector<int>& out) {
    return spate::from_collection(input) | spate::key_by([](int x) { return x; }) |
           spate::transform([](std::vector<int>& rs) {
             std::ranges::sort(rs);
             rs.erase(std::unique(rs.begin(), rs.end()), rs.end());
             return std::move(rs);
           }) |
           spate::collect_into(out);
  };
  std::vector<int> sequential, unfused;
  spate::run_batch(make(sequential));
  spate::run_batch_unfused(make(unfused));
  CHECK(sequential == unfused);
  std::set<int> distinct(input.begin(), input.end());
  CHECK(sequential == std::vector<int>(distinct.begin(), distinct.end()));
  for (std::size_t p : {2u, 3u}) {
    CAPTURE(p);
    std::vector<int> out;
    spate::run_batch(make(out), spate::parallelism{p});  // the whole input as one batch, p workers
    std::ranges::sort(out);
    CHECK(out == sequential);
  }
}

TEST_CASE("transform keeps an open batch across a snapshot (restore law)", "[spark][transform][checkpoint]") {
  using Out = std::vector<int>;
  auto make = [](Out& out) {
    return spate::from_elements(0) |
           spate::transform([](std::vector<int>& rs, spate::batch_info b) {
             std::ranges::sort(rs, std::greater<>{});
             rs.push_back(-static_cast<int>(b.number));
             return std::move(rs);
           }) |
           spate::collect_into(out);
  };
  const std::vector<spate_laws::event<int>> events{5, 1, batch_end{}, 3, 9, 4, batch_end{}, batch_end{}, 7, 8};
  for (std::size_t cut = 0; cut <= events.size(); ++cut)
    spate_laws::restore_equals_uninterrupted<Out, spate::compacted_env>(make, events, cut);
}

TEST_CASE("whole-stream aggregates per batch: window_all(per_batch()) (Spark's DStream.count and reduce)", "[spark][transform]") {
  spate::script<int> s;
  s.record(1).record(2).record(3).batch_end(spate::from_millis(1000)).batch_end(spate::from_millis(2000)).record(4);
  // [doc:dstream_reduce]
  std::vector<int> sums;
  spate::run(spate::from_script(s) | spate::window_all(spate::per_batch()) | spate::reduce(std::plus<>{}) |
             spate::map([](const auto& w) { return w.value; }) | spate::collect_into(sums));
  CHECK(sums == std::vector<int>{6, 4});  // an empty batch emits nothing; the last batch closes at the end
  // [end]
  std::vector<std::int64_t> counts;
  spate::run(spate::from_script(s) | spate::window_all(spate::per_batch()) | spate::count() |
             spate::map([](const auto& w) { return w.value; }) | spate::collect_into(counts));
  CHECK(counts == std::vector<std::int64_t>{3, 1});
}
