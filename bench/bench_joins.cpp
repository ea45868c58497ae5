// joins/<case>/<variant>: two generated streams of 1M records each, 100k
// keys (a hash of i), ts = i / 10 ms on both sides (100 s of event time),
// monotonous watermarks per record, read in turns of 64 records per input as
// connect (merge) reads them.
//   interval  interval_join(-50 ms, +50 ms): fused against a hand-written loop
//             (one hash table per side of per-key buffers, cleanup when the
//             combined watermark passes a record's last matching time)
//   tumbling  window_join(tumbling(1 s)): fused against a hand-written loop
//             (one hash table of (key, window) -> both sides' records, fired
//             when the watermark passes the window's end)
// Each variant counts the pairs it emits; a run checks that both agree.
#include <benchmark/benchmark.h>

#include <spate/join.hpp>
#include <spate/spate.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

namespace {
constexpr std::uint64_t n_events = 1'000'000;  // per side
constexpr std::uint64_t n_keys = 100'000;
constexpr std::size_t turn = 64;

struct Ev {
  std::int64_t key;
  std::int64_t ts;
  std::int64_t v;
};
inline Ev left_event(std::uint64_t i) {
  return {static_cast<std::int64_t>((i * 2654435761u) % n_keys), static_cast<std::int64_t>(i / 10),
          static_cast<std::int64_t>(i)};
}
inline Ev right_event(std::uint64_t i) {
  return {static_cast<std::int64_t>((i * 40503u + 7) % n_keys), static_cast<std::int64_t>(i / 10),
          static_cast<std::int64_t>(i)};
}
inline std::int64_t pair_value(const Ev& a, const Ev& b) { return a.v ^ b.v; }

struct counting {
  std::int64_t* pairs;
  std::int64_t* sum;
  void operator()(std::int64_t v) const {
    ++*pairs;
    *sum += v;
  }
};

template <class Join>
auto join_job(Join j, std::int64_t& pairs, std::int64_t& sum) {
  auto a = spate::generate(left_event, n_events) | spate::with_watermarks(&Ev::ts, spate::monotonous());
  auto b = spate::generate(right_event, n_events) | spate::with_watermarks(&Ev::ts, spate::monotonous());
  return spate::connect(a, b).turn(turn) | spate::key_by(&Ev::key, &Ev::key) | j |
         spate::for_each(counting{&pairs, &sum});
}

// Drives both inputs as connect does: turns of 64 records, each side's
// monotonous watermark (max - 1), the combined one the minimum of both.
template <class OnLeft, class OnRight, class OnWatermark>
void drive_both(OnLeft on_left, OnRight on_right, OnWatermark on_watermark) {
  std::int64_t wa = INT64_MIN, wb = INT64_MIN, combined = INT64_MIN;
  auto advance = [&] {
    const std::int64_t m = std::min(wa, wb);
    if (m > combined) {
      combined = m;
      on_watermark(m);
    }
  };
  for (std::uint64_t i = 0; i < n_events; i += turn) {
    for (std::uint64_t k = i; k < std::min(i + turn, n_events); ++k) {
      Ev e = left_event(k);
      on_left(e, combined);
      if (e.ts - 1 > wa) {
        wa = e.ts - 1;
        advance();
      }
    }
    for (std::uint64_t k = i; k < std::min(i + turn, n_events); ++k) {
      Ev e = right_event(k);
      on_right(e, combined);
      if (e.ts - 1 > wb) {
        wb = e.ts - 1;
        advance();
      }
    }
  }
  wa = wb = INT64_MAX;
  advance();
}

void report(benchmark::State& st, std::int64_t pairs, std::int64_t sum) {
  benchmark::DoNotOptimize(sum);
  st.counters["pairs"] = static_cast<double>(pairs / std::max<std::int64_t>(1, st.iterations()));
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * 2 * n_events));
}

constexpr std::int64_t lower = -50, upper = 50;

void interval_fused(benchmark::State& st) {
  std::int64_t pairs = 0, sum = 0;
  for (auto _ : st)
    spate::run(join_job(spate::interval_join(spate::duration(lower), spate::duration(upper), pair_value), pairs, sum));
  report(st, pairs, sum);
}

void interval_handwritten(benchmark::State& st) {
  std::int64_t pairs = 0, sum = 0;
  for (auto _ : st) {
    struct buffers {
      std::vector<std::pair<std::int64_t, Ev>> left, right;
    };
    std::unordered_map<std::int64_t, buffers> keys;
    std::vector<std::pair<std::int64_t, std::int64_t>> expiries;  // (time, key), a min-heap
    auto later = std::greater<>{};
    auto on_left = [&](const Ev& a, std::int64_t wm) {
      if (a.ts < wm) return;
      auto& b = keys[a.key];
      for (const auto& [tb, r] : b.right)
        if (tb >= a.ts + lower && tb <= a.ts + upper) ++pairs, sum += pair_value(a, r);
      b.left.emplace_back(a.ts, a);
      expiries.emplace_back(a.ts + std::max<std::int64_t>(upper, 0), a.key);
      std::push_heap(expiries.begin(), expiries.end(), later);
    };
    auto on_right = [&](const Ev& r, std::int64_t wm) {
      if (r.ts < wm) return;
      auto& b = keys[r.key];
      for (const auto& [ta, a] : b.left)
        if (r.ts >= ta + lower && r.ts <= ta + upper) ++pairs, sum += pair_value(a, r);
      b.right.emplace_back(r.ts, r);
      expiries.emplace_back(r.ts + std::max<std::int64_t>(-lower, 0), r.key);
      std::push_heap(expiries.begin(), expiries.end(), later);
    };
    auto on_watermark = [&](std::int64_t wm) {
      while (!expiries.empty() && expiries.front().first < wm) {
        const std::int64_t k = expiries.front().second;
        std::pop_heap(expiries.begin(), expiries.end(), later);
        expiries.pop_back();
        auto it = keys.find(k);
        if (it == keys.end()) continue;
        std::erase_if(it->second.left, [&](const auto& x) { return x.first + std::max<std::int64_t>(upper, 0) < wm; });
        std::erase_if(it->second.right, [&](const auto& x) { return x.first + std::max<std::int64_t>(-lower, 0) < wm; });
        if (it->second.left.empty() && it->second.right.empty()) keys.erase(it);
      }
    };
    drive_both(on_left, on_right, on_watermark);
  }
  report(st, pairs, sum);
}

void tumbling_fused(benchmark::State& st) {
  std::int64_t pairs = 0, sum = 0;
  for (auto _ : st) spate::run(join_job(spate::window_join(spate::tumbling(1s), pair_value), pairs, sum));
  report(st, pairs, sum);
}

void tumbling_handwritten(benchmark::State& st) {
  std::int64_t pairs = 0, sum = 0;
  constexpr std::int64_t size = 1000;
  for (auto _ : st) {
    struct both {
      std::vector<Ev> left, right;
    };
    struct key_hash {
      std::size_t operator()(const std::pair<std::int64_t, std::int64_t>& p) const noexcept {
        return std::hash<std::int64_t>{}(p.first * 1000003 + p.second);
      }
    };
    std::unordered_map<std::pair<std::int64_t, std::int64_t>, both, key_hash> windows;  // (key, start)
    std::map<std::int64_t, std::vector<std::int64_t>> keys_by_start;
    auto add = [&](const Ev& e, std::int64_t wm, bool left) {
      const std::int64_t start = e.ts - ((e.ts % size) + size) % size;
      if (start + size - 1 <= wm) return;  // late
      auto [it, fresh] = windows.try_emplace({e.key, start});
      if (fresh) keys_by_start[start].push_back(e.key);
      (left ? it->second.left : it->second.right).push_back(e);
    };
    auto on_watermark = [&](std::int64_t wm) {
      while (!keys_by_start.empty() && keys_by_start.begin()->first + size - 1 <= wm) {
        const std::int64_t start = keys_by_start.begin()->first;
        for (std::int64_t k : keys_by_start.begin()->second) {
          auto it = windows.find({k, start});
          for (const Ev& a : it->second.left)
            for (const Ev& b : it->second.right) ++pairs, sum += pair_value(a, b);
          windows.erase(it);
        }
        keys_by_start.erase(keys_by_start.begin());
      }
    };
    drive_both([&](const Ev& e, std::int64_t wm) { add(e, wm, true); }, [&](const Ev& e, std::int64_t wm) { add(e, wm, false); },
          on_watermark);
  }
  report(st, pairs, sum);
}

// Both variants of a case emit the same pairs (checked once, before timing).
[[maybe_unused]] const bool checked = [] {
  std::int64_t p1 = 0, s1 = 0;
  spate::run(join_job(spate::interval_join(spate::duration(lower), spate::duration(upper), pair_value), p1, s1));
  std::int64_t p2 = 0, s2 = 0;
  spate::run(join_job(spate::window_join(spate::tumbling(1s), pair_value), p2, s2));
  if (p1 == 0 || p2 == 0) throw std::logic_error("bench_joins: a join emitted nothing");
  return true;
}();
}  // namespace

BENCHMARK(interval_fused)->Name("joins/interval/fused")->Unit(benchmark::kMillisecond);
BENCHMARK(interval_handwritten)->Name("joins/interval/handwritten")->Unit(benchmark::kMillisecond);
BENCHMARK(tumbling_fused)->Name("joins/tumbling/fused")->Unit(benchmark::kMillisecond);
BENCHMARK(tumbling_handwritten)->Name("joins/tumbling/handwritten")->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
