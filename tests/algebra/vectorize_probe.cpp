// Compiled (not run) by the algebra.vectorizes test with GCC's
// -fopt-info-vec-optimized: the fused map | filter | sum loop must vectorize,
// as the hand-written loop does. See docs/fusion.md.
#include <spate/spate.hpp>

#include <cstdint>
#include <vector>

std::int64_t fused_map_filter_sum(const std::vector<int>& v) {
  std::int64_t sum = 0;
  spate::run(spate::from_collection(v) | spate::map([](int x) { return x * 3; }) |
             spate::filter([](int y) { return y % 2 != 0; }) | spate::sum_into(sum));
  return sum;
}
