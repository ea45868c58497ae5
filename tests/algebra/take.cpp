// take(n): what it emits, keyed and unkeyed, rolling and batch
// (algebra/take.hpp).
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
