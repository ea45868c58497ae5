#pragma once
// What the window tests share: a record with a user, a timestamp and a value,
// the functions they aggregate it with, and the law fused == unfused.
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <spate/spate.hpp>
#include <spate/window.hpp>

#include "log_sink.hpp"

namespace spate_test {

struct Ev {
  std::string user;
  std::int64_t ts;  // ms since the epoch
  long v = 1;
};
using wr = spate::window_result<std::string, long>;
inline const auto sum_v = [](long a, const Ev& e) { return a + e.v; };
inline const auto add_ev = [](Ev a, const Ev& b) { a.v += b.v; return a; };

struct sum_agg {
  long create_accumulator() const { return 0; }
  long add(const Ev& e, long a) const { return a + e.v; }
  long get_result(long a) const { return a; }
  long merge(long a, long b) const { return a + b; }
};
// Runs make(out) fused and unfused; checks both agree; returns the result.
template <class R, class Make>
std::vector<R> fused_and_unfused(Make make) {
  std::vector<R> a, b;
  spate::run(make(a));
  spate::run_unfused(make(b));
  CHECK(a == b);  // law: fused == unfused
  return a;
}

}  // namespace spate_test
