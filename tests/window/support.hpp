#pragma once
// What the window tests share: a record with a user, a timestamp and a value,
// the functions they aggregate it with, and the law fused == unfused.
#include <cstdint>
#include <string>
#include <tuple>
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

// A key's results as (start, end, value), in the order they were emitted.
template <class V>
inline std::vector<std::tuple<long, long, long>> emitted(const V& out, const std::string& key) {
  std::vector<std::tuple<long, long, long>> r;
  for (auto& w : out)
    if (w.key == key) r.emplace_back(spate::to_millis(w.start), spate::to_millis(w.end), w.value);
  return r;
}
template <class V>
inline bool ends_increase(const std::vector<V>& ws) {
  for (std::size_t i = 1; i < ws.size(); ++i)
    if (!(std::get<1>(ws[i - 1]) < std::get<1>(ws[i]))) return false;
  return true;
}

}  // namespace spate_test
