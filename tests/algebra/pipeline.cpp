// chains as values and errors raised in user code: what it emits, keyed and unkeyed, rolling and batch
// (algebra/pipeline.hpp).
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
