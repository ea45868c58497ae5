// map(f): what it emits, keyed and unkeyed, rolling and batch
// (algebra/map.hpp).
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

TEST_CASE("map transforms each record and may change its type", "[algebra][map]") {
  std::vector<int> ints;
  spate::run(spate::from_elements(1, 2, 3) | spate::map([](int x) { return x * 10; }) | spate::collect_into(ints));
  CHECK(ints == std::vector<int>{10, 20, 30});

  std::vector<std::string> texts;
  spate::run(spate::from_elements(1, 22, 333) | spate::map([](int x) { return std::to_string(x); }) |
             spate::map([](const std::string& s) { return s + "!"; }) | spate::collect_into(texts));
  CHECK(texts == std::vector<std::string>{"1!", "22!", "333!"});
}
