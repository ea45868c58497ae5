// flat_map(f) and flat_map<Out>(f): what it emits, keyed and unkeyed, rolling and batch
// (algebra/flat_map.hpp).
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
