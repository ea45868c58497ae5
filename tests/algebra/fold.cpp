// fold, count and aggregate: what it emits, keyed and unkeyed, rolling and batch
// (algebra/fold.hpp).
#include <catch2/catch.hpp>

#include <spate/spate.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>


#include "stage_support.hpp"

using spate_test::sale;
using spate_test::sorted;

TEST_CASE("fold and count", "[algebra][fold][count]") {
  std::vector<std::pair<std::string, std::int64_t>> rolling;
  std::vector<std::string> lines{"to be or", "not to be"};
  spate::run(spate::from_collection(lines) | spate::flat_map([](const std::string& l) { return spate::words(l); }) |
             spate::key_by([](std::string_view w) { return w; }) | spate::count() | spate::collect_into(rolling));
  CHECK(rolling == std::vector<std::pair<std::string, std::int64_t>>{
                       {"to", 1}, {"be", 1}, {"or", 1}, {"not", 1}, {"to", 2}, {"be", 2}});

  std::map<int, std::string> folded;
  spate::run_batch(spate::from_elements(1, 2, 3, 4, 5, 6) | spate::key_by([](int x) { return x % 3; }) |
                   spate::fold(std::string("#"), [](std::string acc, int x) { return acc + std::to_string(x); }) |
                   spate::collect_into(folded));
  CHECK(folded == std::map<int, std::string>{{0, "#36"}, {1, "#14"}, {2, "#25"}});
}

namespace {
// Flink's AggregateFunction: the average per key.
struct average {
  struct acc {
    long sum = 0, n = 0;
  };
  acc create_accumulator() const { return {}; }
  acc add(int x, acc a) const { return {a.sum + x, a.n + 1}; }
  double get_result(const acc& a) const { return a.n ? double(a.sum) / double(a.n) : 0.0; }
  acc merge(acc a, const acc& b) const { return {a.sum + b.sum, a.n + b.n}; }
};
}  // namespace

TEST_CASE("aggregate with a Flink-style AggregateFunction", "[algebra][aggregate]") {
  STATIC_REQUIRE(spate::AggregateFunction<average, int>);
  STATIC_REQUIRE(spate::MergeableAggregate<average>);
  std::vector<std::pair<char, double>> rolling;
  spate::run(spate::from_elements(1, 10, 2, 20, 3) | spate::key_by([](int x) { return x >= 10 ? 'b' : 'a'; }) |
             spate::aggregate(average{}) | spate::collect_into(rolling));
  CHECK(rolling == std::vector<std::pair<char, double>>{{'a', 1.0}, {'b', 10.0}, {'a', 1.5}, {'b', 15.0}, {'a', 2.0}});

  std::map<char, double> batch;
  spate::run_batch(spate::from_elements(1, 10, 2, 20, 3) | spate::key_by([](int x) { return x >= 10 ? 'b' : 'a'; }) |
                   spate::aggregate(average{}) | spate::collect_into(batch));
  CHECK(batch == std::map<char, double>{{'a', 2.0}, {'b', 15.0}});
}
