// sum, min, max, min_by, max_by (algebra/aggregations.hpp): Flink's
// semantics on golden cases, by member, field name and tuple index, rolling
// and batch; and the laws (fused == unfused, parallel == sequential,
// restore(snapshot) == uninterrupted).
#include <catch2/catch.hpp>

#include <spate/spate.hpp>

#include <boost/hana/define_struct.hpp>

#include <algorithm>
#include <map>
#include <ostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "laws.hpp"

namespace {
struct person {
  BOOST_HANA_DEFINE_STRUCT(person, (std::string, city), (std::string, name), (int, age));
  friend bool operator==(const person&, const person&) = default;
};
using P = person;
}  // namespace

TEST_CASE("sum, min and max keep the key's first record and replace the field, as Flink does", "[algebra][aggregations]") {
  std::vector<P> in{{"oslo", "ann", 30}, {"rome", "bob", 20}, {"oslo", "cid", 25}, {"oslo", "dan", 40}};
  std::vector<P> sums, mins, maxs;
  spate::run(spate::from_collection(in) | spate::key_by(&P::city) | spate::sum(&P::age) | spate::collect_into(sums));
  spate::run(spate::from_collection(in) | spate::key_by(&P::city) | spate::min(spate::field<"age">) | spate::collect_into(mins));
  spate::run(spate::from_collection(in) | spate::key_by(&P::city) | spate::max(&P::age) | spate::collect_into(maxs));
  CHECK(sums == std::vector<P>{{"oslo", "ann", 30}, {"rome", "bob", 20}, {"oslo", "ann", 55}, {"oslo", "ann", 95}});
  CHECK(mins == std::vector<P>{{"oslo", "ann", 30}, {"rome", "bob", 20}, {"oslo", "ann", 25}, {"oslo", "ann", 25}});
  CHECK(maxs == std::vector<P>{{"oslo", "ann", 30}, {"rome", "bob", 20}, {"oslo", "ann", 30}, {"oslo", "ann", 40}});
}

TEST_CASE("min_by and max_by emit the extreme record itself, the earliest of equal ones", "[algebra][aggregations]") {
  std::vector<P> in{{"oslo", "ann", 30}, {"oslo", "cid", 25}, {"oslo", "eve", 25}, {"oslo", "dan", 40}, {"oslo", "fay", 40}};
  std::vector<P> lows, highs;
  spate::run(spate::from_collection(in) | spate::key_by(&P::city) | spate::min_by(&P::age) | spate::collect_into(lows));
  spate::run(spate::from_collection(in) | spate::key_by(&P::city) | spate::max_by(spate::field<"age">) | spate::collect_into(highs));
  CHECK(lows == std::vector<P>{{"oslo", "ann", 30}, {"oslo", "cid", 25}, {"oslo", "cid", 25}, {"oslo", "cid", 25}, {"oslo", "cid", 25}});
  CHECK(highs == std::vector<P>{{"oslo", "ann", 30}, {"oslo", "ann", 30}, {"oslo", "ann", 30}, {"oslo", "dan", 40}, {"oslo", "dan", 40}});
}

TEST_CASE("sum<1>() on tuples, as Flink's keyBy(0).sum(1), run_batch gives each key's final record", "[algebra][aggregations]") {
  // [doc:sum_tuple]
  std::vector<std::tuple<std::string, int>> words{{"a", 1}, {"b", 1}, {"a", 1}, {"a", 1}};
  std::vector<std::tuple<std::string, int>> counts;
  spate::run_batch(spate::from_collection(words) | spate::key_by<0>() | spate::sum<1>() | spate::collect_into(counts));
  // counts holds ("a", 3) and ("b", 1)
  // [end]
  std::sort(counts.begin(), counts.end());
  CHECK(counts == std::vector<std::tuple<std::string, int>>{{"a", 3}, {"b", 1}});
}

namespace {
std::vector<P> random_people(std::mt19937& rng) {
  std::uniform_int_distribution<int> n(0, 300), city(0, 5), age(0, 90);
  std::vector<P> v(static_cast<std::size_t>(n(rng)));
  int i = 0;
  for (auto& p : v) p = P{"c" + std::to_string(city(rng)), "p" + std::to_string(i++), age(rng)};
  return v;
}
}  // namespace

TEST_CASE("aggregations: fused == unfused, parallel == sequential, restore law", "[algebra][aggregations][law]") {
  std::mt19937 rng(7);
  for (int round = 0; round < 5; ++round) {
    auto in = random_people(rng);
    auto sums = [&](std::vector<P>& out) {
      return spate::from_collection(in) | spate::key_by(&P::city) | spate::sum(&P::age) | spate::collect_into(out);
    };
    auto lows = [&](std::vector<P>& out) {
      return spate::from_collection(in) | spate::key_by(&P::city) | spate::min_by(&P::age) | spate::collect_into(out);
    };
    spate_laws::fused_equals_unfused<std::vector<P>>(sums);
    spate_laws::fused_equals_unfused<std::vector<P>>(lows);
    // Across shards a key's records interleave in any order, so only what is
    // order-free is compared: the final sum per key.
    spate_laws::parallel_equals_sequential<std::vector<P>>(
        sums, [](const std::vector<P>& out) {
          std::map<std::string, int> m;
          for (const auto& p : out) m[p.city] = p.age;
          return m;
        });
    std::vector<spate_laws::event<P>> events(in.begin(), in.end());
    spate_laws::restore_equals_uninterrupted<std::vector<P>>(
        [](std::vector<P>& out) {
          return spate::from_elements(P{}) | spate::key_by(&P::city) | spate::max(&P::age) | spate::collect_into(out);
        },
        events, events.size() / 2);
  }
}

namespace {
struct sale {
  std::string shop;
  std::int64_t ts = 0;
  int amount = 0;
  friend bool operator==(const sale&, const sale&) = default;
  friend std::ostream& operator<<(std::ostream& os, const sale& s) {
    return os << '{' << s.shop << ", " << s.ts << ", " << s.amount << '}';
  }
};
}  // namespace

TEST_CASE("aggregations as window functions: per key and window, the record as the keyed forms give it",
          "[algebra][aggregations][window]") {
  using namespace std::chrono_literals;
  std::vector<sale> in{{"a", 0, 5}, {"b", 10, 7}, {"a", 20, 3}, {"a", 40, 9}, {"a", 120, 1}, {"a", 130, 4}, {"b", 150, 2}};
  auto windowed = [&] {
    return spate::from_collection(in) | spate::with_watermarks(&sale::ts, spate::bounded_out_of_orderness(0ms))
           | spate::key_by(&sale::shop) | spate::window(spate::tumbling(100ms));
  };
  using R = spate::window_result<std::string, sale>;
  std::vector<R> sums, mins, max_bys;
  // [doc:window_sum]
  spate::run(windowed() | spate::sum(&sale::amount) | spate::collect_into(sums));  // window(...).sum("amount")
  // [end]
  spate::run(windowed() | spate::min(&sale::amount) | spate::collect_into(mins));
  spate::run(windowed() | spate::max_by(&sale::amount) | spate::collect_into(max_bys));
  auto at = [](std::int64_t ms) { return spate::from_millis(ms); };
  auto sorted = [](std::vector<R> v) {
    std::sort(v.begin(), v.end(), [](const R& x, const R& y) { return std::tie(x.start, x.key) < std::tie(y.start, y.key); });
    return v;
  };
  CHECK(sorted(sums) == std::vector<R>{{"a", at(0), at(100), {"a", 0, 17}},
                                       {"b", at(0), at(100), {"b", 10, 7}},
                                       {"a", at(100), at(200), {"a", 120, 5}},
                                       {"b", at(100), at(200), {"b", 150, 2}}});
  CHECK(sorted(mins) == std::vector<R>{{"a", at(0), at(100), {"a", 0, 3}},
                                       {"b", at(0), at(100), {"b", 10, 7}},
                                       {"a", at(100), at(200), {"a", 120, 1}},
                                       {"b", at(100), at(200), {"b", 150, 2}}});
  CHECK(sorted(max_bys) == std::vector<R>{{"a", at(0), at(100), {"a", 40, 9}},
                                          {"b", at(0), at(100), {"b", 10, 7}},
                                          {"a", at(100), at(200), {"a", 130, 4}},
                                          {"b", at(100), at(200), {"b", 150, 2}}});
  // Sliding windows merge partial results: a reduce, so they are allowed.
  std::vector<R> sliding;
  spate::run(spate::from_collection(in) | spate::with_watermarks(&sale::ts, spate::bounded_out_of_orderness(0ms))
             | spate::key_by(&sale::shop) | spate::window(spate::sliding(100ms, 50ms)) | spate::sum(&sale::amount)
             | spate::collect_into(sliding));
  std::int64_t total = 0;
  for (const auto& r : sliding) total += r.value.amount;
  CHECK(total == 2 * (5 + 7 + 3 + 9 + 1 + 4 + 2));  // every record in two windows
}
