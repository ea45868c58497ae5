// filter(p): what it emits, keyed and unkeyed, rolling and batch
// (algebra/filter.hpp).
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
