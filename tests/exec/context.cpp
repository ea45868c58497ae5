// The streaming context: lifecycle rules, errors, graceful stop, micro-batch
// batches and metrics, max_rate, backpressure and bounded memory.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <spate/exec.hpp>
#include <spate/spate.hpp>

#include "test_sinks.hpp"

using namespace std::chrono_literals;

namespace {
auto small_job(std::vector<int>& out) {
  static std::vector<int> in{1, 2, 3};
  return spate::from_collection(in) | spate::collect_into(out);
}
long resident_kib() {
  long pages = 0, rss = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
    std::fclose(f);
  }
  return rss * (::sysconf(_SC_PAGESIZE) / 1024);
}
}  // namespace

TEST_CASE("context: pipelines are added before start, and start happens once", "[context]") {
  std::vector<int> out;
  spate::context ctx{spate::continuous{}};
  CHECK(ctx.current_state() == spate::context::state::initialized);
  CHECK_THROWS_WITH(ctx.start(), Catch::Contains("no pipelines"));
  CHECK_THROWS_WITH(ctx.await_termination(), Catch::Contains("not started"));
  ctx.add(small_job(out));
  ctx.start();
  CHECK_THROWS_WITH(ctx.add(small_job(out)), Catch::Contains("started context"));
  CHECK_THROWS_WITH(ctx.start(), Catch::Contains("already started"));
  ctx.await_termination();
  CHECK(ctx.current_state() == spate::context::state::stopped);
  CHECK(out == std::vector<int>{1, 2, 3});
  CHECK_THROWS_WITH(ctx.start(), Catch::Contains("cannot be restarted"));
  CHECK_THROWS_WITH(ctx.add(small_job(out)), Catch::Contains("stopped context"));
}

TEST_CASE("context: with parallelism > 1 a pipeline may shuffle more than once", "[context]") {
  auto twice = [](std::vector<std::pair<long, std::int64_t>>& out) {
    return spate::from_elements(1L, 2L, 3L, 2L) | spate::key_by([](long x) { return x; }) | spate::count()
           | spate::key_by([](const std::pair<long, std::int64_t>& kv) { return kv.second; })
           | spate::map([](const std::pair<long, std::int64_t>& kv) { return kv; }) | spate::collect_into(out);
  };
  std::vector<std::pair<long, std::int64_t>> one_out, two_out;
  spate::context one{spate::parallelism{1}};
  one.add(twice(one_out));
  one.start();
  one.await_termination();
  spate::context two{spate::parallelism{2}};
  two.add(twice(two_out));  // two shuffles: after each key_by, every key in one worker
  two.start();
  two.await_termination();
  std::sort(one_out.begin(), one_out.end());
  std::sort(two_out.begin(), two_out.end());
  CHECK(one_out.size() == 4);
  CHECK(two_out == one_out);
}

TEST_CASE("context: bad options are refused", "[context]") {
  CHECK_THROWS_AS(spate::context(spate::micro_batch{0ms}), std::invalid_argument);
  CHECK_THROWS_AS(spate::context(spate::parallelism{0}), std::invalid_argument);
}

TEST_CASE("context: stop before start, stop twice, and timed waits", "[context]") {
  std::vector<int> out;
  {
    spate::context ctx;
    ctx.add(small_job(out));
    ctx.stop();
    CHECK(ctx.current_state() == spate::context::state::stopped);
    CHECK_THROWS(ctx.start());
  }
  spate::context ctx{spate::continuous{}};
  ctx.add(spate::generate([](std::uint64_t i) { return i; }, spate::unbounded) | spate::for_each([](std::uint64_t) {}));
  ctx.start();
  CHECK_FALSE(ctx.await_termination_for(50ms));
  ctx.stop();
  ctx.stop();
  CHECK(ctx.await_termination_for(0ms));
}

TEST_CASE("context: an exception in user code stops the context and names the stage", "[context][error]") {
  for (bool batched : {false, true})
    for (std::size_t p : {1u, 2u}) {
      CAPTURE(batched, p);
      std::vector<long> out;
      auto ctx = batched ? std::make_unique<spate::context>(spate::micro_batch{20ms}, spate::parallelism{p})
                         : std::make_unique<spate::context>(spate::continuous{}, spate::parallelism{p});
      ctx->add(spate::generate([](std::uint64_t i) { return static_cast<long>(i); }, spate::unbounded)
               | spate::key_by([](long x) { return x % 10; })
               | spate::map([](long x) {
                   if (x == 5000) throw std::runtime_error("bad record 5000");
                   return x;
                 })
               | spate::collect_into(out));
      ctx->start();
      try {
        ctx->await_termination();
        FAIL("no error");
      } catch (const spate::stage_error& e) {
        CHECK(e.stage() == "map");
        CHECK(e.position() == 2);  // the source is #0
        CHECK(std::string(e.what()).find("bad record 5000") != std::string::npos);
      }
      CHECK(ctx->current_state() == spate::context::state::stopped);
    }
}

TEST_CASE("context: a graceful stop under heavy load loses nothing that was read", "[context][stop]") {
  for (bool batched : {false, true})
    for (std::size_t p : {1u, 2u}) {
      CAPTURE(batched, p);
      std::atomic<std::uint64_t> generated{0};
      std::map<std::uint64_t, std::int64_t> counts;
      auto ctx = batched ? std::make_unique<spate::context>(spate::micro_batch{50ms}, spate::parallelism{p})
                         : std::make_unique<spate::context>(spate::continuous{}, spate::parallelism{p});
      ctx->add(spate::generate(
                   [&](std::uint64_t i) {
                     generated.fetch_add(1, std::memory_order_relaxed);
                     return i;
                   },
                   spate::unbounded)
               | spate::key_by([](std::uint64_t x) { return x % 97; }) | spate::count() | spate::collect_into(counts));
      ctx->start();
      std::this_thread::sleep_for(150ms);
      ctx->stop(spate::stop_mode::graceful);
      ctx->await_termination();
      std::int64_t total = 0;
      for (auto& [k, v] : counts) total += v;
      CHECK(generated.load() > 0);
      CHECK(static_cast<std::uint64_t>(total) == generated.load());
    }
}

TEST_CASE("context: stop() from inside a job requests the stop", "[context][stop]") {
  std::uint64_t seen = 0;
  spate::context ctx{spate::micro_batch{20ms}, spate::parallelism{2}};
  ctx.on_batch_completed([&](const spate::batch_metrics& b) {
    if (b.number >= 3) ctx.stop();
  });
  ctx.add(spate::generate([](std::uint64_t i) { return i; }, spate::unbounded)
          | spate::for_each([&](std::uint64_t) { ++seen; }));
  ctx.start();
  CHECK(ctx.await_termination_for(30s));
  CHECK(seen > 0);
}

TEST_CASE("context: an immediate stop returns promptly", "[context][stop]") {
  std::map<std::uint64_t, std::int64_t> counts;
  spate::context ctx{spate::continuous{}, spate::parallelism{2}};
  ctx.add(spate::generate([](std::uint64_t i) { return i; }, spate::unbounded)
          | spate::key_by([](std::uint64_t x) { return x % 7; }) | spate::count() | spate::collect_into(counts));
  ctx.start();
  std::this_thread::sleep_for(50ms);
  auto t0 = std::chrono::steady_clock::now();
  ctx.stop(spate::stop_mode::immediate);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK(ctx.await_termination_for(0ms));
}

TEST_CASE("micro-batch: print() writes Spark's header and the first ten records per batch", "[micro_batch]") {
  std::vector<int> keys;
  for (int i = 0; i < 25; ++i) keys.push_back(i);
  std::ostringstream os;
  spate::context ctx{spate::micro_batch{100ms}};
  ctx.add(spate::from_collection(keys) | spate::key_by([](int x) { return x; }) | spate::count() | spate::print(os));
  ctx.start();
  ctx.await_termination();
  std::string out = os.str();
  std::smatch m;
  REQUIRE(std::regex_search(out, m,
                            std::regex("^-------------------------------------------\nTime: ([0-9]+) ms\n"
                                       "-------------------------------------------\n")));
  CHECK(std::stoll(m[1]) % 100 == 0);
  // 25 changed keys in the one batch: ten lines, then "...".
  std::istringstream lines(out);
  std::string line;
  int records = 0;
  bool dots = false;
  while (std::getline(lines, line)) {
    if (line.rfind("(", 0) == 0) ++records;
    if (line == "...") dots = true;
  }
  CHECK(records == 10);
  CHECK(dots);
}

TEST_CASE("micro-batch: max_rate bounds each batch, batches are consecutive and measured", "[micro_batch][metrics]") {
  for (std::size_t p : {1u, 2u}) {
    CAPTURE(p);
    spate_test::batch_log<std::pair<std::uint64_t, std::int64_t>> log;
    std::vector<spate::batch_metrics> seen;
    std::mutex seen_m;
    spate::context ctx{spate::micro_batch{50ms}, spate::parallelism{p}, spate::max_rate{1000}};
    ctx.on_batch_completed([&](const spate::batch_metrics& b) {
      std::lock_guard l(seen_m);
      seen.push_back(b);
    });
    // 300 records at 1000/s per shard: at most 50 per batch per shard.
    ctx.add(spate::generate([](std::uint64_t i) { return i; }, 300)
            | spate::key_by([](std::uint64_t x) { return x; }) | spate::count() | spate_test::log_into(log));
    ctx.start();
    ctx.await_termination();
    auto batches = ctx.batches();
    REQUIRE(batches.size() >= 300 / (50 * p));
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < batches.size(); ++i) {
      CHECK(batches[i].number == batches[0].number + i);
      if (i) CHECK(batches[i].time - batches[i - 1].time == 50ms);
      CHECK(batches[i].records <= 50 * p);
      CHECK(batches[i].scheduling_delay.count() >= 0);
      CHECK(batches[i].total_delay >= batches[i].processing_time);
      total += batches[i].records;
    }
    CHECK(total == 300);
    {
      std::lock_guard l(seen_m);
      CHECK(seen.size() == batches.size());
    }
    // The sink saw the same batches, each key once (every key changes once).
    REQUIRE(log.infos.size() == batches.size());
    std::size_t emitted = 0;
    for (std::size_t i = 0; i < log.infos.size(); ++i) {
      CHECK(log.infos[i].number == batches[i].number);
      CHECK(log.batches[i].size() == batches[i].records);
      emitted += log.batches[i].size();
    }
    CHECK(emitted == 300);
    CHECK(log.ended);
  }
}

TEST_CASE("micro-batch: several pipelines share the batches, one ending does not stall the others", "[micro_batch][metrics]") {
  std::vector<int> small{1, 2, 3};
  std::vector<int> a;
  std::atomic<std::uint64_t> b{0};
  spate::context ctx{spate::micro_batch{20ms}, spate::parallelism{2}};
  ctx.add(spate::from_collection(small) | spate::collect_into(a));
  ctx.add(spate::generate([](std::uint64_t i) { return i; }, spate::unbounded) | spate::for_each([&](std::uint64_t) { ++b; }));
  ctx.start();
  std::this_thread::sleep_for(200ms);
  auto mid = ctx.batches().size();
  std::this_thread::sleep_for(200ms);
  ctx.stop();
  std::sort(a.begin(), a.end());
  CHECK(a == small);
  CHECK(b.load() > 0);
  CHECK(mid >= 2);
  CHECK(ctx.batches().size() > mid);  // batches still complete after the bounded job ended
}

TEST_CASE("continuous: processing time is announced while the input is idle", "[continuous]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  spate_test::batch_log<std::string> log;
  spate::context ctx{spate::continuous{5ms}};
  ctx.add(spate::fd_lines(fds[0]) | spate_test::log_into(log));
  ctx.start();
  std::this_thread::sleep_for(150ms);
  ctx.stop();
  ::close(fds[0]);
  ::close(fds[1]);
  CHECK(log.ticks.load() >= 3);
  CHECK(log.ended);
}

TEST_CASE("backpressure: a slow sink slows the source, and memory stays bounded", "[backpressure]") {
  for (bool batched : {false, true}) {
    CAPTURE(batched);
    std::atomic<std::uint64_t> generated{0}, sunk{0};
    long before = resident_kib();
    auto ctx = batched ? std::make_unique<spate::context>(spate::micro_batch{20ms}, spate::parallelism{2}, spate::queue_capacity{64})
                       : std::make_unique<spate::context>(spate::continuous{}, spate::parallelism{2}, spate::queue_capacity{64});
    ctx->add(spate::generate(
                 [&](std::uint64_t i) {
                   generated.fetch_add(1, std::memory_order_relaxed);
                   return std::string(1000, char('a' + i % 26));  // 1 kB records
                 },
                 spate::unbounded)
             | spate::key_by([](const std::string& s) { return s[0]; })
             | spate::map([](const std::string& s) { return s.size(); })
             | spate::for_each([&](std::size_t) {
                 sunk.fetch_add(1, std::memory_order_relaxed);
                 std::this_thread::sleep_for(200us);
               }));
    ctx->start();
    std::this_thread::sleep_for(1s);
    long grown = resident_kib() - before;
    std::uint64_t in_flight = generated.load() - sunk.load();
    ctx->stop(spate::stop_mode::immediate);
    CHECK(ctx->await_termination_for(0ms));
    // 2x2 shuffle queues and 2 sink queues of 64, plus a chunk being pushed:
    // a few hundred records; an unbounded queue would hold millions by now.
    CHECK(in_flight < 10'000);
    CHECK(grown < 64 * 1024);  // KiB
  }
}

TEST_CASE("signals: SIGINT stops a context gracefully", "[signals]") {
  std::atomic<std::uint64_t> generated{0};
  std::map<std::uint64_t, std::int64_t> counts;
  spate::context ctx{spate::micro_batch{50ms}, spate::parallelism{2}};
  ctx.add(spate::generate(
              [&](std::uint64_t i) {
                generated.fetch_add(1, std::memory_order_relaxed);
                return i;
              },
              spate::unbounded)
          | spate::key_by([](std::uint64_t x) { return x % 5; }) | spate::count() | spate::collect_into(counts));
  ctx.stop_on_signals();
  ctx.start();
  std::thread killer([] {
    std::this_thread::sleep_for(100ms);
    std::raise(SIGINT);
  });
  ctx.await_termination();
  killer.join();
  std::int64_t total = 0;
  for (auto& [k, v] : counts) total += v;
  CHECK(static_cast<std::uint64_t>(total) == generated.load());
}

// The examples in docs/executors.md are copied from here.
TEST_CASE("docs: executors examples", "[docs]") {
  std::vector<std::string> lines{"to be or not to be", "that is the question"};
  {
    std::ostringstream out;
    // [doc:micro_batch]
    spate::context ctx{spate::micro_batch{100ms}, spate::parallelism{2}};
    ctx.add(spate::from_collection(lines)
            | spate::flat_map([](const std::string& line) { return spate::words(line); })
            | spate::key_by([](std::string_view word) { return word; })
            | spate::count()
            | spate::print(out));  // per batch: Spark's header, then the first ten records
    ctx.start();
    ctx.await_termination();  // a bounded source: returns when it is read
    // [end]
    CHECK(out.str().find("(be,2)") != std::string::npos);
  }
  {
    // [doc:continuous]
    std::map<std::string, std::int64_t> counts;
    spate::context ctx{spate::continuous{}, spate::parallelism{2}};
    ctx.add(spate::from_collection(lines)
            | spate::flat_map([](const std::string& line) { return spate::words(line); })
            | spate::key_by([](std::string_view word) { return word; })  // the shuffle: 2 workers
            | spate::count()
            | spate::collect_into(counts));  // one sink instance, on its own thread
    ctx.start();
    ctx.await_termination();
    // counts == {be: 2, is: 1, not: 1, or: 1, question: 1, that: 1, the: 1, to: 2}
    // [end]
    CHECK(counts["be"] == 2);
    CHECK(counts.size() == 8);
  }
  {
    // [doc:lifecycle]
    std::atomic<std::uint64_t> seen{0};
    spate::context ctx{spate::micro_batch{50ms}, spate::max_rate{10'000}};
    ctx.on_batch_completed([](const spate::batch_metrics& b) {
      // b.number, b.time, b.records, b.scheduling_delay, b.processing_time
      (void)b;
    });
    ctx.add(spate::generate([](std::uint64_t i) { return i; }, spate::unbounded)
            | spate::for_each([&](std::uint64_t) { ++seen; }));
    ctx.start();
    if (!ctx.await_termination_for(200ms))     // still running: the input has no end
      ctx.stop(spate::stop_mode::graceful);    // stop reading; finish what was read
    // ctx.start() now throws: a stopped context cannot be restarted
    // [end]
    CHECK(seen.load() > 0);
    CHECK_THROWS(ctx.start());
    CHECK(!ctx.batches().empty());
  }
  {
    std::vector<long> out;
    // [doc:errors]
    spate::context ctx{spate::continuous{}};
    ctx.add(spate::from_elements(1L, 2L, 0L) | spate::map([](long x) {
              if (x == 0) throw std::domain_error("division by zero");
              return 100 / x;
            })
            | spate::collect_into(out));
    ctx.start();
    try {
      ctx.await_termination();
    } catch (const spate::stage_error& e) {
      // e.what(): "stage 'map' (#1 in its pipeline) failed: division by zero"
      CHECK(e.stage() == "map");
    }
    // [end]
  }
}

namespace {
// Counts the batch ends and ends that reach it; passes records on.
struct control_probe : spate::stage_tag {
  std::atomic<int>* batch_ends;
  std::atomic<int>* ends;
  static constexpr const char* name = "control_probe";
  template <class Flow>
  static constexpr bool check() { return true; }
  template <class Flow>
  using output = Flow;
  template <class Down>
  struct built : spate::forward_control<Down> {
    std::atomic<int>* batch_ends;
    std::atomic<int>* ends;
    template <class R>
    bool push(R&& r) {
      return this->down.push(std::forward<R>(r));
    }
    void on_batch_end(const spate::batch_info& b) {
      ++*batch_ends;
      this->down.on_batch_end(b);
    }
    void on_end() {
      ++*ends;
      this->down.on_end();
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, spate::stage_label, Down&& down) const {
    return built<std::remove_cvref_t<Down>>{{std::forward<Down>(down)}, batch_ends, ends};
  }
};
}  // namespace

TEST_CASE("context: batch ends and the end of input reach the chains inside a merge", "[context][merge]") {
  std::atomic<int> batch_ends{0}, ends{0};
  std::atomic<std::uint64_t> seen{0};
  spate::context ctx{spate::micro_batch{20ms}};
  ctx.add(spate::merge(spate::generate([](std::uint64_t i) { return i; }, spate::unbounded) |
                           control_probe{{}, &batch_ends, &ends},
                       spate::generate([](std::uint64_t i) { return i; }, spate::unbounded)) |
          spate::for_each([&](std::uint64_t) { ++seen; }));
  ctx.start();
  std::this_thread::sleep_for(200ms);
  ctx.stop(spate::stop_mode::graceful);
  ctx.await_termination();
  CHECK(seen.load() > 0);
  CHECK(batch_ends.load() >= 2);  // announced through the merge, not past it
  CHECK(ends.load() == 1);        // a graceful stop ends the input's chain too
}
