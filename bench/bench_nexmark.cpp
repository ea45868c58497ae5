// Nexmark queries (examples/nexmark/) over generated events:
//   nexmark/<q>/fused/P:1, P:2   spate::run(job, parallelism{P})
//   nexmark/<q>/unfused          spate::run_unfused (a virtual call per stage)
//   nexmark/<q>/handwritten      the loop a person would write over the same
//                                generator (q0, q1, q2, q5, q7): the floor
// Every case generates its events as it runs (the generator is part of the
// cost, as in the Nexmark project's runs) and ends in a sink that counts the
// rows and touches each. items_per_second is events per second of wall time;
// cpu_ns_per_event is the CPU time of the whole process (every thread) per
// event, the figure that holds on a busy machine.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "runner.hpp"

namespace {

// Events per iteration: 1 M, and fewer for the queries whose state or
// output grows with the stream (joins keeping every record, top-N, dedup).
std::uint64_t events_for(const std::string& q) {
  if (q == "q3" || q == "q20" || q == "q18" || q == "q19" || q == "q16" || q == "q15") return 500'000;
  return 1'000'000;
}

void report(benchmark::State& state, std::uint64_t events, double cpu) {
  const double n = static_cast<double>(state.iterations()) * static_cast<double>(events);
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  state.counters["cpu_ns_per_event"] = cpu * 1e9 / n;
}

void run_query(benchmark::State& state, std::string q, std::size_t p, bool unfused) {
  nexmark::options o;
  o.query = q;
  o.events = events_for(q);
  o.parallelism = p;
  o.unfused = unfused;
  o.count_only = true;
  double cpu = 0;
  std::uint64_t rows = 0;
  for (auto _ : state) {
    nexmark::outcome r;
    if (!nexmark::run_stateless(o, r) && !nexmark::run_window(o, r) && !nexmark::run_join(o, r) &&
        !nexmark::run_ops(o, r)) {
      state.SkipWithError("unknown query");
      return;
    }
    cpu += r.cpu_seconds;
    rows = r.rows;
  }
  report(state, o.events, cpu);
  state.counters["rows"] = static_cast<double>(rows);
}

// --- hand-written loops ------------------------------------------------------
template <class Body>
void hand(benchmark::State& state, Body body) {
  const nexmark::generator g;
  const std::uint64_t n = 1'000'000;
  double cpu = 0;
  std::uint64_t rows = 0;
  for (auto _ : state) {
    const double c0 = nexmark::process_cpu_seconds();
    rows = body(g, n);
    cpu += nexmark::process_cpu_seconds() - c0;
  }
  report(state, n, cpu);
  state.counters["rows"] = static_cast<double>(rows);
}

std::uint64_t hand_q0(const nexmark::generator& g, std::uint64_t n) {
  std::uint64_t rows = 0;
  for (std::uint64_t i = 0; i < n; ++i)
    if (auto b = g.bid_at(i)) {
      nexmark::bid r = std::move(*b);
      ++rows;
      nexmark::touch(r);
    }
  return rows;
}
std::uint64_t hand_q1(const nexmark::generator& g, std::uint64_t n) {
  std::uint64_t rows = 0;
  for (std::uint64_t i = 0; i < n; ++i)
    if (auto b = g.bid_at(i)) {
      nexmark::q1_row r{b->auction, b->bidder, b->price * 908, b->date_time, std::move(b->extra)};
      ++rows;
      nexmark::touch(r);
    }
  return rows;
}
std::uint64_t hand_q2(const nexmark::generator& g, std::uint64_t n) {
  std::uint64_t rows = 0;
  for (std::uint64_t i = 0; i < n; ++i)
    if (auto b = g.bid_at(i); b && b->auction % 123 == 0) {
      nexmark::q2_row r{b->auction, b->price};
      ++rows;
      nexmark::touch(r);
    }
  return rows;
}
// q5: counts per auction in 2 s panes; when the watermark (max - 4 s) passes
// a window's end, its five panes are summed and the top auctions emitted.
std::uint64_t hand_q5(const nexmark::generator& g, std::uint64_t n) {
  std::map<std::int64_t, std::unordered_map<std::int64_t, std::int64_t>> panes;  // pane start -> counts
  std::int64_t max_seen = INT64_MIN, next_end = INT64_MIN;
  std::uint64_t rows = 0;
  auto fire = [&](std::int64_t end) {
    std::unordered_map<std::int64_t, std::int64_t> sum;
    for (auto it = panes.lower_bound(end - 10'000); it != panes.end() && it->first < end; ++it)
      for (const auto& [a, c] : it->second) sum[a] += c;
    std::int64_t maxn = 0;
    for (const auto& [a, c] : sum) maxn = std::max(maxn, c);
    for (const auto& [a, c] : sum)
      if (c >= maxn) {
        nexmark::q5_row r{a, c, end - 10'000};
        ++rows;
        nexmark::touch(r);
      }
    while (!panes.empty() && panes.begin()->first < end - 8'000) panes.erase(panes.begin());
  };
  for (std::uint64_t i = 0; i < n; ++i) {
    auto b = g.bid_at(i);
    if (!b) continue;
    const std::int64_t pane = b->date_time - b->date_time % 2'000;
    ++panes[pane][b->auction];
    max_seen = std::max(max_seen, b->date_time);
    if (next_end == INT64_MIN) next_end = pane + 2'000;
    for (; next_end - 1 <= max_seen - 4'000; next_end += 2'000) fire(next_end);
  }
  for (; !panes.empty() && next_end <= panes.rbegin()->first + 10'000; next_end += 2'000) fire(next_end);
  return rows;
}
// q7: per 10 s window the highest price and the bids at it; emitted when the
// watermark passes the window's end.
std::uint64_t hand_q7(const nexmark::generator& g, std::uint64_t n) {
  struct win {
    std::int64_t max = -1;
    std::vector<nexmark::q7_row> rows;
  };
  std::map<std::int64_t, win> open;
  std::int64_t max_seen = INT64_MIN;
  std::uint64_t rows = 0;
  auto emit = [&](win& w) {
    for (auto& r : w.rows) {
      ++rows;
      nexmark::touch(r);
    }
  };
  for (std::uint64_t i = 0; i < n; ++i) {
    auto b = g.bid_at(i);
    if (!b) continue;
    win& w = open[b->date_time - b->date_time % 10'000];
    if (b->price > w.max) w.max = b->price, w.rows.clear();
    if (b->price == w.max) w.rows.push_back({b->auction, b->price, b->bidder, b->date_time, std::move(b->extra)});
    max_seen = std::max(max_seen, b->date_time);
    while (!open.empty() && open.begin()->first + 10'000 - 1 <= max_seen - 4'000) {
      emit(open.begin()->second);
      open.erase(open.begin());
    }
  }
  for (auto& [s, w] : open) emit(w);
  return rows;
}

void register_all() {
  const char* queries[] = {"q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11",
                           "q12", "q13", "q14", "q15", "q16", "q17", "q18", "q19", "q20", "q21", "q22"};
  for (const char* q : queries) {
    const std::string name = std::string("nexmark/") + q;
    if (std::string(q) == "q10") continue;  // writes files: run it with the nexmark runner
    if (std::string(q) == "q0") benchmark::RegisterBenchmark((name + "/handwritten").c_str(), [](benchmark::State& s) { hand(s, hand_q0); })->Unit(benchmark::kMillisecond)->Iterations(2);
    if (std::string(q) == "q1") benchmark::RegisterBenchmark((name + "/handwritten").c_str(), [](benchmark::State& s) { hand(s, hand_q1); })->Unit(benchmark::kMillisecond)->Iterations(2);
    if (std::string(q) == "q2") benchmark::RegisterBenchmark((name + "/handwritten").c_str(), [](benchmark::State& s) { hand(s, hand_q2); })->Unit(benchmark::kMillisecond)->Iterations(2);
    if (std::string(q) == "q5") benchmark::RegisterBenchmark((name + "/handwritten").c_str(), [](benchmark::State& s) { hand(s, hand_q5); })->Unit(benchmark::kMillisecond)->Iterations(2);
    if (std::string(q) == "q7") benchmark::RegisterBenchmark((name + "/handwritten").c_str(), [](benchmark::State& s) { hand(s, hand_q7); })->Unit(benchmark::kMillisecond)->Iterations(2);
    for (std::size_t p : {1, 2})
      benchmark::RegisterBenchmark((name + "/fused/P:" + std::to_string(p)).c_str(),
                                   [q = std::string(q), p](benchmark::State& s) { run_query(s, q, p, false); })
          ->Unit(benchmark::kMillisecond)
          ->Iterations(2)
          ->UseRealTime();
    benchmark::RegisterBenchmark((name + "/unfused").c_str(),
                                 [q = std::string(q)](benchmark::State& s) { run_query(s, q, 1, true); })
        ->Unit(benchmark::kMillisecond)
        ->Iterations(2);
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
