// reduce(f): what it emits, keyed and unkeyed, rolling and batch
// (algebra/reduce.hpp).
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
