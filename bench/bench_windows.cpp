// windows/<case>/<variant>: window operators against the loop a person would
// write. Events: 10M, key = a hash of i mod 100k, ts = i / 1000 ms (10 s of
// event time, 100 events per key), watermarks per record (monotonous).
//   tumbling_count  1 s tumbling count per key: fused, unfused, handwritten
//   sliding_sum     sliding(10 s, 1 s) vs tumbling(1 s) (same slide), sums
//   session_count   session(30 s) count per key
//   state_memory    bytes per key of a rolling long reduce over 1M keys
#include <benchmark/benchmark.h>

#include <cstdint>
#include <type_traits>
#include <spate/spate.hpp>
#include <spate/window.hpp>

using namespace std::chrono_literals;

namespace {
constexpr std::uint64_t n_events = 10'000'000;
constexpr std::uint64_t n_keys = 100'000;

struct Ev {
  std::int64_t key;
  std::int64_t ts;
  std::int64_t v;
};
inline Ev make_event(std::uint64_t i) {
  return {static_cast<std::int64_t>((i * 2654435761u) % n_keys), static_cast<std::int64_t>(i / 1000),
          static_cast<std::int64_t>(i & 7)};
}
struct sum_agg {
  std::int64_t create_accumulator() const { return 0; }
  std::int64_t add(const Ev& e, std::int64_t a) const { return a + e.v; }
  std::int64_t get_result(std::int64_t a) const { return a; }
  std::int64_t merge(std::int64_t a, std::int64_t b) const { return a + b; }
};
struct checksum {
  std::int64_t* acc;
  template <class W>
  void operator()(const W& w) const { *acc += w.value + spate::to_millis(w.start); }
};

template <class Window, class Fn>
auto window_job(Window w, Fn fn, std::int64_t& sink) {
  return spate::generate(make_event, n_events) | spate::with_watermarks(&Ev::ts, spate::monotonous()) |
         spate::key_by(&Ev::key) | w | fn | spate::for_each(checksum{&sink});
}

void report(benchmark::State& st, std::int64_t sink) {
  benchmark::DoNotOptimize(sink);
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * n_events));
}

void tumbling_fused(benchmark::State& st) {
  std::int64_t sink = 0;
  for (auto _ : st) spate::run(window_job(spate::window(spate::tumbling(1s), &Ev::ts), spate::count(), sink));
  report(st, sink);
}
void tumbling_unfused(benchmark::State& st) {
  std::int64_t sink = 0;
  for (auto _ : st) spate::run_unfused(window_job(spate::window(spate::tumbling(1s), &Ev::ts), spate::count(), sink));
  report(st, sink);
}
// The hand-written loop: one hash map of counters keyed by (key, window),
// flushed when the watermark passes a window's end. `handwritten` keys by
// (key, window start), as the issue describes it and as spate must for any
// key type (24-byte slots); `handwritten_packed` packs (window, key) into one
// 64-bit word, which works only because it knows keys < 2^20 (16-byte slots).
template <bool Packed>
void tumbling_handwritten(benchmark::State& st) {
  using WK = std::conditional_t<Packed, std::uint64_t, spate::detail::window_key<std::int64_t>>;
  std::int64_t sink = 0;
  for (auto _ : st) {
    spate::state::hash_map<WK, std::int64_t> counts;
    const std::int64_t size = 1000;
    auto start_of = [&](const WK& kw) {
      if constexpr (Packed)
        return static_cast<std::int64_t>(kw >> 20) * size;
      else
        return kw.start;
    };
    std::int64_t max_ts = INT64_MIN, next_end = INT64_MIN;
    auto flush = [&](std::int64_t wm) {
      counts.erase_if([&](const WK& kw, std::int64_t n) {
        std::int64_t start = start_of(kw);
        if (start + size - 1 > wm) return false;
        sink += n + start;
        return true;
      });
    };
    for (std::uint64_t i = 0; i < n_events; ++i) {
      Ev e = make_event(i);
      std::int64_t w = e.ts / size;  // ts >= 0 here
      if constexpr (Packed)
        ++counts[(static_cast<std::uint64_t>(w) << 20) | static_cast<std::uint64_t>(e.key)];
      else
        ++counts[WK{e.key, w * size}];
      if (e.ts > max_ts) {
        max_ts = e.ts;
        if (next_end == INT64_MIN) next_end = (w + 1) * size;
        if (max_ts - 1 >= next_end - 1) {  // watermark max - 1 passed end - 1
          flush(max_ts - 1);
          next_end = (max_ts - 1) / size * size + size;
        }
      }
    }
    flush(INT64_MAX);
  }
  report(st, sink);
}

void sliding_fused(benchmark::State& st) {
  std::int64_t sink = 0;
  for (auto _ : st) spate::run(window_job(spate::window(spate::sliding(10s, 1s), &Ev::ts), spate::aggregate(sum_agg{}), sink));
  report(st, sink);
}
void sliding_tumbling_same_slide(benchmark::State& st) {
  std::int64_t sink = 0;
  for (auto _ : st) spate::run(window_job(spate::window(spate::tumbling(1s), &Ev::ts), spate::aggregate(sum_agg{}), sink));
  report(st, sink);
}
void session_fused(benchmark::State& st) {
  std::int64_t sink = 0;
  for (auto _ : st) spate::run(window_job(spate::window(spate::session(30s), &Ev::ts), spate::count(), sink));
  report(st, sink);
}

// Bytes per key of keyed state: a rolling reduce of longs over 1M keys.
void state_memory(benchmark::State& st) {
  constexpr std::uint64_t keys = 1'000'000;
  double per_key = 0;
  for (auto _ : st) {
    std::int64_t sink = 0;
    auto job = spate::generate([](std::uint64_t i) { return std::pair<std::int64_t, std::int64_t>(i, 1); }, keys) |
               spate::key_by<0>() | spate::reduce([](auto a, const auto& b) { a.second += b.second; return a; }) |
               spate::for_each([&](const auto& kv) { sink += kv.second.second; });
    spate::rolling_env env;
    auto head = spate::fuse::build(env, job);
    for (std::uint64_t i = 0; i < keys; ++i) head.push(std::pair<std::int64_t, std::int64_t>(i, 1));
    const auto& table = head.down.state();
    per_key = double(table.memory_bytes()) / double(table.size());
    benchmark::DoNotOptimize(sink);
  }
  st.counters["bytes_per_key"] = per_key;
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * keys));
}
}  // namespace

BENCHMARK(tumbling_fused)->Name("windows/tumbling_count/fused")->Unit(benchmark::kMillisecond);
BENCHMARK(tumbling_unfused)->Name("windows/tumbling_count/unfused")->Unit(benchmark::kMillisecond);
BENCHMARK(tumbling_handwritten<true>)->Name("windows/tumbling_count/handwritten_packed")->Unit(benchmark::kMillisecond);
BENCHMARK(tumbling_handwritten<false>)->Name("windows/tumbling_count/handwritten")->Unit(benchmark::kMillisecond);
BENCHMARK(sliding_fused)->Name("windows/sliding_sum/fused")->Unit(benchmark::kMillisecond);
BENCHMARK(sliding_tumbling_same_slide)->Name("windows/sliding_sum/tumbling_same_slide")->Unit(benchmark::kMillisecond);
BENCHMARK(session_fused)->Name("windows/session_count/fused")->Unit(benchmark::kMillisecond);
BENCHMARK(state_memory)->Name("windows/state_memory/reduce_long_1M_keys")->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
