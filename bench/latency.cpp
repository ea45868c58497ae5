// End-to-end latency at a fixed input rate through a keyed pipeline with a
// shuffle (parallelism 2): generator -> key_by -> fold -> sink.
//   latency/continuous         record at a time
//   latency/micro_batch_100ms  100 ms batches
// Counters: p50_us, p99_us (from the time a record is generated to the time
// its effect reaches the sink), records_per_second (the input rate reached).
// Under micro-batch a key emits once per batch: its sample is the mean
// generation time of the records it folded in that batch, weighted by their
// number, which is exact for continuous execution (one record per emission).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <thread>
#include <utility>
#include <vector>

#include <spate/exec.hpp>
#include <spate/spate.hpp>

namespace {
using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

struct rec {
  std::uint32_t key;
  std::int64_t born_ns;  // since the run started
};
struct acc {
  std::int64_t count = 0;
  std::int64_t born_sum = 0;  // sum of born_ns
};

constexpr std::uint32_t keys = 1000;
constexpr std::uint64_t rate = 100'000;  // records per second, both shards together

double percentile(std::vector<std::pair<double, std::int64_t>>& s, double q) {
  std::sort(s.begin(), s.end());
  std::int64_t total = 0;
  for (auto& x : s) total += x.second;
  auto want = static_cast<std::int64_t>(q * static_cast<double>(total));
  std::int64_t seen = 0;
  for (auto& x : s) {
    seen += x.second;
    if (seen > want) return x.first;
  }
  return s.empty() ? 0 : s.back().first;
}

void run(benchmark::State& state, bool batched) {
  for (auto _ : state) {
    const auto t0 = clk::now();
    const std::int64_t warmup_ns = 300'000'000;
    std::vector<acc> prev(keys);
    std::vector<std::pair<double, std::int64_t>> samples;
    samples.reserve(1 << 20);
    std::int64_t records = 0;
    auto ctx = batched ? std::make_unique<spate::context>(spate::micro_batch{100ms}, spate::parallelism{2},
                                                          spate::max_rate{rate / 2})
                       : std::make_unique<spate::context>(spate::continuous{}, spate::parallelism{2},
                                                          spate::max_rate{rate / 2});
    ctx->add(spate::generate(
                 [t0](std::uint64_t i) {
                   return rec{static_cast<std::uint32_t>(i % keys), (clk::now() - t0).count()};
                 },
                 spate::unbounded)
             | spate::key_by(&rec::key)
             | spate::fold(acc{}, [](acc a, const rec& r) {
                 ++a.count;
                 a.born_sum += r.born_ns;
                 return a;
               })
             | spate::for_each([&](const std::pair<std::uint32_t, acc>& kv) {
                 const std::int64_t now = (clk::now() - t0).count();
                 acc& p = prev[kv.first];
                 std::int64_t n = kv.second.count - p.count;
                 if (n > 0) {
                   double mean_born = static_cast<double>(kv.second.born_sum - p.born_sum) / static_cast<double>(n);
                   if (mean_born > warmup_ns) samples.emplace_back((static_cast<double>(now) - mean_born) / 1000.0, n);
                   records += n;
                 }
                 p = kv.second;
               }));
    ctx->start();
    std::this_thread::sleep_for(2300ms);
    ctx->stop(spate::stop_mode::graceful);
    ctx->await_termination();
    state.counters["p50_us"] = percentile(samples, 0.50);
    state.counters["p99_us"] = percentile(samples, 0.99);
    state.counters["records_per_second"] =
        static_cast<double>(records) / std::chrono::duration<double>(clk::now() - t0).count();
  }
}
}  // namespace

BENCHMARK_CAPTURE(run, continuous, false)->Name("latency/continuous")->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(run, micro_batch_100ms, true)->Name("latency/micro_batch_100ms")->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
