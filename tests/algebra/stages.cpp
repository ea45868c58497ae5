// Every stage of the core algebra: what it emits, keyed and unkeyed, rolling
// and batch, early exit, and the errors user code raises inside it.
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

namespace {

struct sale {
  std::string shop;
  int amount;
};

template <class J>
auto sorted(std::vector<J> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("map transforms each record and may change its type", "[algebra][map]") {
  std::vector<int> ints;
  spate::run(spate::from_elements(1, 2, 3) | spate::map([](int x) { return x * 10; }) | spate::collect_into(ints));
  CHECK(ints == std::vector<int>{10, 20, 30});

  std::vector<std::string> texts;
  spate::run(spate::from_elements(1, 22, 333) | spate::map([](int x) { return std::to_string(x); }) |
             spate::map([](const std::string& s) { return s + "!"; }) | spate::collect_into(texts));
  CHECK(texts == std::vector<std::string>{"1!", "22!", "333!"});
}

TEST_CASE("filter keeps the records its predicate accepts", "[algebra][filter]") {
  std::vector<int> out;
  spate::run(spate::from_elements(1, 2, 3, 4, 5, 6) | spate::filter([](int x) { return x % 2 == 0; }) |
             spate::collect_into(out));
  CHECK(out == std::vector<int>{2, 4, 6});

  // A predicate returning something convertible to bool (a pointer) is fine.
  std::vector<std::string> kept;
  spate::run(spate::from_elements(std::string("ab"), std::string(""), std::string("c")) |
             spate::filter([](const std::string& s) { return s.empty() ? nullptr : s.data(); }) |
             spate::collect_into(kept));
  CHECK(kept == std::vector<std::string>{"ab", "c"});
}

TEST_CASE("flat_map over ranges: containers, words, range-v3 views", "[algebra][flat_map]") {
  SECTION("a std::vector per record") {
    std::vector<int> out;
    spate::run(spate::from_elements(1, 2, 3) | spate::flat_map([](int x) { return std::vector<int>(x, x); }) |
               spate::collect_into(out));
    CHECK(out == std::vector<int>{1, 2, 2, 3, 3, 3});
  }
  SECTION("a std::array per record") {
    std::vector<int> out;
    spate::run(spate::from_elements(1, 2) | spate::flat_map([](int x) { return std::array<int, 2>{x, -x}; }) |
               spate::collect_into(out));
    CHECK(out == std::vector<int>{1, -1, 2, -2});
  }
  SECTION("spate::words: views into the line") {
    std::vector<std::string> out;
    spate::run(spate::from_elements(std::string("  a bb\tccc "), std::string(""), std::string("d")) |
               spate::flat_map([](const std::string& l) { return spate::words(l); }) |
               spate::map([](std::string_view w) { return std::string(w); }) | spate::collect_into(out));
    CHECK(out == std::vector<std::string>{"a", "bb", "ccc", "d"});
  }
  SECTION("range-v3 iota and transform views") {
    std::vector<int> out;
    spate::run(spate::from_elements(0, 1, 2, 3) | spate::flat_map([](int x) { return ranges::views::iota(0, x); }) |
               spate::collect_into(out));
    CHECK(out == std::vector<int>{0, 0, 1, 0, 1, 2});

    std::vector<long> squares;
    spate::run(spate::from_elements(2, 3) |
               spate::flat_map([](int x) {
                 return ranges::views::iota(1, x + 1) | ranges::views::transform([x](int y) { return long(x) * y; });
               }) |
               spate::collect_into(squares));
    CHECK(squares == std::vector<long>{2, 4, 3, 6, 9});
  }
  SECTION("early stop inside a range: the rest of the range and of the source is not read") {
    int records_in = 0;
    std::vector<int> out;
    spate::run(spate::from_elements(1000, 1000) | spate::inspect([&](int) { ++records_in; }) |
               spate::flat_map([](int n) { return ranges::views::iota(0, n); }) | spate::take(3) |
               spate::collect_into(out));
    CHECK(out == std::vector<int>{0, 1, 2});
    CHECK(records_in == 1);
  }
}

TEST_CASE("java_split gives the pieces of Java's String.split for one separator", "[algebra][words][java]") {
  // The expected pieces are what Java 17 prints for in.split(" ") (and for
  // "a,,b,," .split(",")): every separator cuts, a leading one gives an empty
  // first piece, trailing empty pieces go, and an input without the
  // separator, "" included, is one piece. A tab is no separator.
  auto pieces = [](std::string_view in, char sep = ' ') {
    std::vector<std::string> v;
    for (std::string_view p : spate::java_split(in, sep)) v.emplace_back(p);
    return v;
  };
  using V = std::vector<std::string>;
  CHECK(pieces("") == V{""});
  CHECK(pieces(" ") == V{});
  CHECK(pieces("  ") == V{});
  CHECK(pieces("a") == V{"a"});
  CHECK(pieces("a b") == V{"a", "b"});
  CHECK(pieces("a  b\tc") == V{"a", "", "b\tc"});
  CHECK(pieces(" a") == V{"", "a"});
  CHECK(pieces("  a") == V{"", "", "a"});
  CHECK(pieces("a ") == V{"a"});
  CHECK(pieces("a  ") == V{"a"});
  CHECK(pieces(" a ") == V{"", "a"});
  CHECK(pieces("a b ") == V{"a", "b"});
  CHECK(pieces("\t") == V{"\t"});
  CHECK(pieces("a\tb") == V{"a\tb"});
  CHECK(pieces(" \t ") == V{"", "\t"});
  CHECK(pieces("a  b  ") == V{"a", "", "b"});
  CHECK(pieces("   x   y") == V{"", "", "", "x", "", "", "y"});
  CHECK(pieces("\n") == V{"\n"});
  CHECK(pieces("a,,b,,", ',') == V{"a", "", "b"});

  // Spark's word count over "a  b<TAB>c": (a,1) (,1) (b<TAB>c,1); words() gives a, b, c.
  std::map<std::string, std::int64_t> spark, spate_words;
  auto count_with = [](auto split, std::map<std::string, std::int64_t>& into) {
    spate::run_batch(spate::from_elements(std::string("a  b\tc")) | spate::flat_map(split) |
                     spate::key_by([](std::string_view w) { return w; }) | spate::count() | spate::collect_into(into));
  };
  count_with([](const std::string& l) { return spate::java_split(l, ' '); }, spark);
  count_with([](const std::string& l) { return spate::words(l); }, spate_words);
  CHECK(spark == std::map<std::string, std::int64_t>{{"", 1}, {"a", 1}, {"b\tc", 1}});
  CHECK(spate_words == std::map<std::string, std::int64_t>{{"a", 1}, {"b", 1}, {"c", 1}});
}

TEST_CASE("flat_map<Out>(f) with an emitter", "[algebra][flat_map]") {
  SECTION("emits zero or more records of the declared type") {
    std::vector<std::string> out;
    spate::run(spate::from_elements(0, 1, 2) | spate::flat_map<std::string>([](int x, auto& emit) {
                 for (int i = 0; i < x; ++i) emit(std::string(std::size_t(x), char('a' + i)));
               }) |
               spate::collect_into(out));
    CHECK(out == std::vector<std::string>{"a", "aa", "bb"});
  }
  SECTION("emit returns false once downstream stopped, and the source stops too") {
    int calls = 0, attempts = 0;
    std::vector<int> out;
    spate::run(spate::from_elements(10, 20, 30) | spate::flat_map<int>([&](int x, auto& emit) {
                 ++calls;
                 for (int i = 0; i < x; ++i) {
                   ++attempts;
                   if (!emit(x + i)) return;
                 }
               }) |
               spate::take(13) | spate::collect_into(out));
    CHECK(out.size() == 13);
    CHECK(out.back() == 22);
    CHECK(calls == 2);
    CHECK(attempts == 13);
  }
}

TEST_CASE("key_by with a function, a member pointer and a tuple index", "[algebra][key_by]") {
  std::vector<sale> sales{{"north", 5}, {"south", 2}, {"north", 7}, {"east", 1}, {"south", 3}};
  const std::map<std::string, int> totals{{"east", 1}, {"north", 12}, {"south", 5}};
  auto add = [](int acc, const sale& s) { return acc + s.amount; };

  SECTION("a lambda") {
    std::map<std::string, int> out;
    spate::run(spate::from_collection(sales) | spate::key_by([](const sale& s) { return s.shop; }) |
               spate::fold(0, add) | spate::collect_into(out));
    CHECK(out == totals);
  }
  SECTION("a lambda returning a view into the record") {
    std::map<std::string, int> out;
    spate::run(spate::from_collection(sales) | spate::key_by([](const sale& s) { return std::string_view(s.shop); }) |
               spate::fold(0, add) | spate::collect_into(out));
    CHECK(out == totals);
  }
  SECTION("a member pointer") {
    std::map<std::string, int> out;
    spate::run(spate::from_collection(sales) | spate::key_by(&sale::shop) | spate::fold(0, add) |
               spate::collect_into(out));
    CHECK(out == totals);
  }
  SECTION("element 0 of pairs and tuples") {
    std::map<std::string, std::int64_t> counts;
    spate::run(spate::from_elements(std::pair<std::string, int>{"x", 1}, std::pair<std::string, int>{"y", 2},
                                    std::pair<std::string, int>{"x", 3}) |
               spate::key_by<0>() | spate::count() | spate::collect_into(counts));
    CHECK(counts == std::map<std::string, std::int64_t>{{"x", 2}, {"y", 1}});

    std::map<int, std::tuple<int, char>> last;
    spate::run(spate::from_elements(std::tuple<int, char>{1, 'a'}, std::tuple<int, char>{2, 'b'},
                                    std::tuple<int, char>{1, 'c'}) |
               spate::key_by<0>() | spate::reduce([](auto, const auto& b) { return b; }) | spate::collect_into(last));
    CHECK(last == std::map<int, std::tuple<int, char>>{{1, {1, 'c'}}, {2, {2, 'b'}}});
  }
  SECTION("a stage that is not per key after key_by sees a plain stream") {
    std::vector<int> out;
    spate::run(spate::from_elements(1, 2, 3) | spate::key_by([](int x) { return x % 2; }) |
               spate::map([](int x) { return x + 1; }) | spate::collect_into(out));
    CHECK(out == std::vector<int>{2, 3, 4});
  }
}

TEST_CASE("reduce: rolling under run, final per key under run_batch", "[algebra][reduce]") {
  auto make = [](auto& out) {
    return spate::from_elements(1, 2, 3, 4, 5) | spate::key_by([](int x) { return x % 2; }) |
           spate::reduce([](int a, int b) { return a + b; }) | spate::collect_into(out);
  };
  std::vector<std::pair<int, int>> rolling, batch;
  spate::run(make(rolling));
  CHECK(rolling == std::vector<std::pair<int, int>>{{1, 1}, {0, 2}, {1, 4}, {0, 6}, {1, 9}});
  spate::run_batch(make(batch));
  CHECK(sorted(batch) == std::vector<std::pair<int, int>>{{0, 6}, {1, 9}});

  // The first record of a key is the initial value: f is not called for it.
  int calls = 0;
  std::map<char, std::string> joined;
  spate::run(spate::from_elements(std::string("a1"), std::string("b1"), std::string("a2")) |
             spate::key_by([](const std::string& s) { return s[0]; }) |
             spate::reduce([&](const std::string& a, const std::string& b) { ++calls; return a + "+" + b; }) |
             spate::collect_into(joined));
  CHECK(joined == std::map<char, std::string>{{'a', "a1+a2"}, {'b', "b1"}});
  CHECK(calls == 1);
}

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

TEST_CASE("inspect sees every record and changes nothing, keyed or not", "[algebra][inspect]") {
  std::vector<int> seen, out;
  spate::run(spate::from_elements(3, 1, 2) | spate::inspect([&](int x) { seen.push_back(x); }) |
             spate::map([](int x) { return x * 2; }) | spate::collect_into(out));
  CHECK(seen == std::vector<int>{3, 1, 2});
  CHECK(out == std::vector<int>{6, 2, 4});

  std::vector<int> keyed_seen;
  std::map<int, std::int64_t> counts;
  spate::run(spate::from_elements(1, 2, 3, 4, 5) | spate::key_by([](int x) { return x % 2; }) |
             spate::inspect([&](int x) { keyed_seen.push_back(x); }) | spate::count() | spate::collect_into(counts));
  CHECK(keyed_seen == std::vector<int>{1, 2, 3, 4, 5});
  CHECK(counts == std::map<int, std::int64_t>{{0, 2}, {1, 3}});
}

TEST_CASE("take passes the first n and stops the source", "[algebra][take]") {
  SECTION("a collection source stops pushing") {
    std::vector<int> in(100);
    for (int i = 0; i < 100; ++i) in[std::size_t(i)] = i;
    int pushed = 0;
    std::vector<int> out;
    spate::run(spate::from_collection(in) | spate::inspect([&](int) { ++pushed; }) | spate::take(5) |
               spate::collect_into(out));
    CHECK(out == std::vector<int>{0, 1, 2, 3, 4});
    CHECK(pushed == 5);
  }
  SECTION("an unbounded generator stops") {
    std::uint64_t generated = 0;
    std::vector<std::uint64_t> out;
    spate::run(spate::generate([&](std::uint64_t i) { ++generated; return i * i; }, spate::unbounded) |
               spate::filter([](std::uint64_t x) { return x % 2 == 1; }) | spate::take(3) |
               spate::collect_into(out));
    CHECK(out == std::vector<std::uint64_t>{1, 9, 25});
    CHECK(generated == 6);
  }
  SECTION("take(0) stops at the first record") {
    int pushed = 0;
    std::vector<int> out;
    spate::run(spate::from_elements(1, 2, 3) | spate::inspect([&](int) { ++pushed; }) | spate::take(0) |
               spate::collect_into(out));
    CHECK(out.empty());
    CHECK(pushed == 1);
  }
  SECTION("the same under the unfused engine") {
    int pushed = 0;
    std::vector<int> out;
    spate::run_unfused(spate::from_elements(1, 2, 3, 4) | spate::inspect([&](int) { ++pushed; }) | spate::take(2) |
                       spate::collect_into(out));
    CHECK(out == std::vector<int>{1, 2});
    CHECK(pushed == 2);
  }
}

TEST_CASE("a chain of stages is a reusable value", "[algebra][chain]") {
  auto parse = spate::map([](const std::string& s) { return std::stoi(s); }) |
               spate::filter([](int x) { return x > 0; });
  std::vector<int> a, b;
  spate::run(spate::from_elements(std::string("1"), std::string("-2"), std::string("3")) | parse |
             spate::collect_into(a));
  spate::run(spate::from_elements(std::string("-1"), std::string("7")) | parse |
             spate::map([](int x) { return x * 2; }) | spate::collect_into(b));
  CHECK(a == std::vector<int>{1, 3});
  CHECK(b == std::vector<int>{14});
}

namespace {
// The stage_error's text and the exception it wraps.
template <class Inner, class F>
void check_stage_error(F&& run_it, const std::string& stage, std::size_t position, const std::string& inner_what) {
  bool thrown = false;
  try {
    run_it();
  } catch (const spate::stage_error& e) {
    thrown = true;
    CHECK(e.stage() == stage);
    CHECK(e.position() == position);
    const std::string what = e.what();
    CHECK_THAT(what, Catch::Contains("stage '" + stage + "' (#" + std::to_string(position)));
    CHECK_THAT(what, Catch::Contains(inner_what));
    bool nested = false;
    try {
      std::rethrow_if_nested(e);
    } catch (const Inner& inner) {
      nested = true;
      CHECK(std::string(inner.what()) == inner_what);
    }
    CHECK(nested);
  }
  CHECK(thrown);
}
}  // namespace

TEST_CASE("a throwing user function becomes a stage_error naming the stage", "[algebra][errors]") {
  auto bad_map = [](int x) {
    if (x == 3) throw std::invalid_argument("three");
    return x;
  };
  auto job = spate::from_elements(1, 2, 3) | spate::filter([](int) { return true; }) | spate::map(bad_map) |
             spate::for_each([](int) {});
  check_stage_error<std::invalid_argument>([&] { spate::run(job); }, "map", 2, "three");
  check_stage_error<std::invalid_argument>([&] { spate::run_unfused(job); }, "map", 2, "three");
  check_stage_error<std::invalid_argument>([&] { spate::run_batch(job); }, "map", 2, "three");

  check_stage_error<std::out_of_range>(
      [] {
        std::map<int, int> out;
        spate::run(spate::from_elements(1, 2) | spate::key_by([](int x) { return x; }) |
                   spate::reduce([](int, int) -> int { throw std::out_of_range("r"); }) | spate::collect_into(out));
        // reduce is called only from a key's second record on
        spate::run(spate::from_elements(1, 1) | spate::key_by([](int x) { return x; }) |
                   spate::reduce([](int, int) -> int { throw std::out_of_range("r"); }) | spate::collect_into(out));
      },
      "reduce", 2, "r");
  check_stage_error<std::runtime_error>(
      [] {
        spate::run(spate::from_elements(1) | spate::key_by([](int) -> int { throw std::runtime_error("k"); }) |
                   spate::count() | spate::for_each([](auto) {}));
      },
      "key_by", 1, "k");
  check_stage_error<std::runtime_error>(
      [] {
        spate::run(spate::from_elements(1) | spate::key_by([](int x) { return x; }) |
                   spate::fold(0, [](int, int) -> int { throw std::runtime_error("f"); }) | spate::for_each([](auto) {}));
      },
      "fold", 2, "f");
  check_stage_error<std::logic_error>(
      [] { spate::run(spate::from_elements(1) | spate::for_each([](int) { throw std::logic_error("sink"); })); },
      "for_each", 1, "sink");
  check_stage_error<std::length_error>(
      [] {
        spate::run(spate::generate([](std::uint64_t) -> int { throw std::length_error("gen"); }, 3) |
                   spate::for_each([](int) {}));
      },
      "generate", 0, "gen");
  check_stage_error<std::runtime_error>(
      [] {
        spate::run(spate::from_elements(1) |
                   spate::flat_map<int>([](int, auto&) { throw std::runtime_error("fm"); }) |
                   spate::inspect([](int) {}) | spate::for_each([](int) {}));
      },
      "flat_map", 1, "fm");
}
