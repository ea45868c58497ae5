// Laws of the algebra, checked on random pipelines and inputs:
//   fused == unfused       run == run_unfused, run_batch == run_batch_unfused
//   rolling ~ compacted    run (every update) collected into a map leaves the
//                          same last value per key as run_batch (one value
//                          per key at the end)
// Each case draws a pipeline shape and its constants (moduli, offsets, take
// counts) and an input from a seeded std::mt19937, so a failure names a case
// that can be replayed.
#include <catch2/catch.hpp>

#include <spate/spate.hpp>

#include "laws.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <random>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

using rng_t = std::mt19937;

int draw(rng_t& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

std::vector<int> random_ints(rng_t& rng) {
  std::vector<int> v(std::size_t(draw(rng, 0, 300)));
  const int span = draw(rng, 1, 1000);
  for (int& x : v) x = draw(rng, -span, span);
  return v;
}

std::vector<std::string> random_lines(rng_t& rng) {
  static constexpr std::array<std::string_view, 12> vocabulary{"a", "to", "be", "or", "not", "stream", "spate",
                                                               "flink", "spark", "kafka", "x", "yy"};
  std::vector<std::string> lines(std::size_t(draw(rng, 0, 60)));
  for (auto& line : lines) {
    const int words = draw(rng, 0, 12);
    for (int w = 0; w < words; ++w) {
      line.append(std::size_t(draw(rng, 0, 2)), w % 3 ? ' ' : '\t');
      line += vocabulary[std::size_t(draw(rng, 0, int(vocabulary.size()) - 1))];
      line += ' ';
    }
  }
  return lines;
}

struct sale {
  std::string shop;
  int amount;
};

struct average {
  struct acc {
    long sum = 0, n = 0;
  };
  acc create_accumulator() const { return {}; }
  acc add(int x, acc a) const { return {a.sum + x, a.n + 1}; }
  long get_result(const acc& a) const { return a.n ? a.sum / a.n : 0; }
  acc merge(acc a, const acc& b) const { return {a.sum + b.sum, a.n + b.n}; }
};


/// The last value per key is the same whether every update is emitted or
/// only the final one.
template <class Map, class Make>
void check_rolling_compacts_to_batch(const Make& make) {
  Map rolling, batch, rolling_unfused;
  spate::run(make(rolling));
  spate::run_batch(make(batch));
  spate::run_unfused(make(rolling_unfused));
  CHECK(rolling == batch);
  CHECK(rolling_unfused == batch);
}

constexpr int shape_count = 12;

void run_case(rng_t& rng, int shape) {
  const std::vector<int> ints = random_ints(rng);
  const int a = draw(rng, -5, 5), b = draw(rng, -50, 50), m = draw(rng, 1, 9), r = draw(rng, 0, 8);
  const auto t = std::uint64_t(draw(rng, 0, 400));
  switch (shape) {
    case 0: {  // map | filter | map
      auto make = [&](auto& out) {
        return spate::from_collection(ints) | spate::map([=](int x) { return long(x) * a + b; }) |
               spate::filter([=](long x) { return x % m != r; }) |
               spate::map([](long x) { return std::to_string(x); }) | spate::collect_into(out);
      };
      spate_laws::fused_equals_unfused<std::vector<std::string>>(make);
      break;
    }
    case 1: {  // flat_map over a range-v3 view | take
      auto make = [&](auto& out) {
        return spate::from_collection(ints) | spate::flat_map([=](int x) {
                 return ranges::views::iota(0, (x % m + m) % m) |
                        ranges::views::transform([=](int y) { return x * 10 + y; });
               }) |
               spate::take(t) | spate::collect_into(out);
      };
      spate_laws::fused_equals_unfused<std::vector<int>>(make);
      break;
    }
    case 2: {  // flat_map<Out> with an emitter | filter | take
      auto make = [&](auto& out) {
        return spate::from_collection(ints) | spate::flat_map<long>([=](int x, auto& emit) {
                 for (int i = 0; i <= (x % m + m) % m; ++i)
                   if (!emit(long(x) + i)) return;
               }) |
               spate::filter([=](long x) { return (x & 1) == (r & 1); }) | spate::take(t) | spate::collect_into(out);
      };
      spate_laws::fused_equals_unfused<std::vector<long>>(make);
      break;
    }
    case 3: {  // key_by(function) | reduce
      auto make = [&](auto& out) {
        return spate::from_collection(ints) | spate::key_by([=](int x) { return (x % m + m) % m; }) |
               spate::reduce([](int x, int y) { return x + y; }) | spate::collect_into(out);
      };
      spate_laws::fused_equals_unfused<std::vector<std::pair<int, int>>>(make);
      check_rolling_compacts_to_batch<std::map<int, int>>(make);
      break;
    }
    case 4: {  // map | key_by | fold into a string
      auto make = [&](auto& out) {
        return spate::from_collection(ints) | spate::map([=](int x) { return x + b; }) |
               spate::key_by([=](int x) { return x % m; }) |
               spate::fold(std::string(">"), [](std::string acc, int x) {
                 acc += char('a' + (x % 26 + 26) % 26);
                 return acc;
               }) |
               spate::collect_into(out);
      };
      spate_laws::fused_equals_unfused<std::vector<std::pair<int, std::string>>>(make);
      check_rolling_compacts_to_batch<std::unordered_map<int, std::string>>(make);
      break;
    }
    case 5: {  // word count over random lines
      const std::vector<std::string> lines = random_lines(rng);
      auto make = [&](auto& out) {
        return spate::from_collection(lines) |
               spate::flat_map([](const std::string& l) { return spate::words(l); }) |
               spate::key_by([](std::string_view w) { return w; }) | spate::count() | spate::collect_into(out);
      };
      spate_laws::fused_equals_unfused<std::vector<std::pair<std::string, std::int64_t>>>(make);
      check_rolling_compacts_to_batch<std::map<std::string, std::int64_t>>(make);
      break;
    }
    case 6: {  // key_by | aggregate
      auto make = [&](auto& out) {
        return spate::from_collection(ints) | spate::key_by([=](int x) { return x % m == 0; }) |
               spate::aggregate(average{}) | spate::collect_into(out);
      };
      spate_laws::fused_equals_unfused<std::vector<std::pair<bool, long>>>(make);
      check_rolling_compacts_to_batch<std::map<bool, long>>(make);
      break;
    }
    case 7: {  // pairs keyed by element 0 | reduce, then a map on the (key, value)
      std::vector<std::pair<int, int>> pairs;
      for (int x : ints) pairs.emplace_back((x % m + m) % m, x);
      auto make = [&](auto& out) {
        return spate::from_collection(pairs) | spate::key_by<0>() |
               spate::reduce([](std::pair<int, int> x, const std::pair<int, int>& y) {
                 x.second = std::max(x.second, y.second);
                 return x;
               }) |
               spate::map([](const auto& kv) { return std::pair<int, int>(kv.first, kv.second.second); }) |
               spate::collect_into(out);
      };
      spate_laws::fused_equals_unfused<std::vector<std::pair<int, int>>>(make);
      check_rolling_compacts_to_batch<std::map<int, int>>(make);
      break;
    }
    case 8: {  // structs keyed by a member pointer | fold
      std::vector<sale> sales;
      for (int x : ints) sales.push_back({std::string(std::size_t((x % m + m) % m + 1), 's'), x});
      auto make = [&](auto& out) {
        return spate::from_collection(sales) | spate::key_by(&sale::shop) |
               spate::fold(0L, [](long acc, const sale& s) { return acc + s.amount; }) | spate::collect_into(out);
      };
      spate_laws::fused_equals_unfused<std::vector<std::pair<std::string, long>>>(make);
      check_rolling_compacts_to_batch<std::map<std::string, long>>(make);
      break;
    }
    case 9: {  // inspect on both sides of key_by | count | filter on the result
      auto make = [&](auto& out) {
        return spate::from_collection(ints) | spate::inspect([](int) {}) |
               spate::key_by([=](int x) { return std::abs(x) % m; }) | spate::inspect([](int) {}) | spate::count() |
               spate::filter([=](const std::pair<int, std::int64_t>& kv) { return kv.second % 2 == (r & 1); }) |
               spate::collect_into(out);
      };
      spate_laws::fused_equals_unfused<std::vector<std::pair<int, std::int64_t>>>(make);
      break;
    }
    case 10: {  // generate | map | filter | take
      const auto n = std::uint64_t(draw(rng, 0, 500));
      auto make = [&](auto& out) {
        return spate::generate([=](std::uint64_t i) { return long(i) * a + b; }, n) |
               spate::filter([=](long x) { return x % m == 0; }) | spate::take(t) | spate::collect_into(out);
      };
      spate_laws::fused_equals_unfused<std::vector<long>>(make);
      break;
    }
    case 11: {  // a reusable chain spliced into a keyed pipeline
      auto piece = spate::map([=](int x) { return x / m; }) | spate::filter([=](int x) { return x != r; });
      auto make = [&](auto& out) {
        return spate::from_collection(ints) | piece | spate::key_by([](int x) { return x % 5; }) |
               spate::reduce([](int x, int y) { return std::min(x, y); }) | spate::collect_into(out);
      };
      spate_laws::fused_equals_unfused<std::vector<std::pair<int, int>>>(make);
      check_rolling_compacts_to_batch<std::map<int, int>>(make);
      break;
    }
  }
}

}  // namespace

TEST_CASE("laws: fused == unfused and rolling compacts to batch, on random pipelines", "[algebra][laws]") {
  constexpr int cases = 600;
  rng_t rng(0x5A7E);
  std::array<int, shape_count> per_shape{};
  for (int i = 0; i < cases; ++i) {
    const int shape = draw(rng, 0, shape_count - 1);
    ++per_shape[std::size_t(shape)];
    INFO("case " << i << ", shape " << shape);
    run_case(rng, shape);
  }
  for (int n : per_shape) CHECK(n > 0);
}
