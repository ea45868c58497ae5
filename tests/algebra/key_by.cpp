// key_by(k): what it emits, keyed and unkeyed, rolling and batch
// (algebra/key_by.hpp).
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
