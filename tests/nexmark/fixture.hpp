#pragma once
// The events the Nexmark query tests read: n_events of the test
// configuration, one generator per test program, materialized once for the
// references.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <spate/spate.hpp>

#include "reference.hpp"
#include "sources.hpp"

namespace nexmark_test {

inline constexpr std::uint64_t n_events = 30'000;

inline const nexmark::generator& gen() {
  static const nexmark::generator g(ref::test_config());
  return g;
}

inline const ref::streams& data() {
  static const ref::streams s = ref::materialize(gen(), n_events);
  return s;
}

/// Runs make() (a query without its sink) at parallelism 1 and 2: each
/// time, its rows as text equal `want`.
template <class Row, class Make>
void check_rows(Make make, const std::vector<std::string>& want) {
  for (std::size_t p : {1, 2}) {
    CAPTURE(p);
    std::vector<Row> got;
    spate::run(make() | spate::collect_into(got), spate::parallelism{p});
    CHECK(ref::texts(got) == want);
  }
}

}  // namespace nexmark_test
