// inspect(f): what it emits, keyed and unkeyed, rolling and batch
// (algebra/inspect.hpp).
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
