// Laws of the executors, on random inputs:
//   parallel == sequential (any P, both executors)
//   micro-batch output == continuous output compacted at batch ends
//   watermarks across channels: the minimum
// Also run under ThreadSanitizer (SPATE_TSAN).
#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <spate/exec.hpp>
#include <spate/spate.hpp>
#include <spate/window.hpp>

#include "test_sinks.hpp"

using namespace std::chrono_literals;

namespace {
std::unique_ptr<spate::context> make_context(bool batched, std::size_t p) {
  if (batched) return std::make_unique<spate::context>(spate::micro_batch{20ms}, spate::parallelism{p});
  return std::make_unique<spate::context>(spate::continuous{}, spate::parallelism{p});
}
template <class J>
void run_in(bool batched, std::size_t p, J job) {
  auto ctx = make_context(batched, p);
  ctx->add(std::move(job));
  ctx->start();
  ctx->await_termination();
}

std::vector<std::string> random_lines(std::mt19937& rng) {
  std::uniform_int_distribution<int> n_lines(0, 400), n_words(0, 12), word(0, 60);
  std::vector<std::string> lines(static_cast<std::size_t>(n_lines(rng)));
  for (auto& l : lines) {
    int n = n_words(rng);
    for (int i = 0; i < n; ++i) l += (i ? " w" : "w") + std::to_string(word(rng));
  }
  return lines;
}
}  // namespace

TEST_CASE("parallel == sequential: word count on random text", "[parallel][law]") {
  std::mt19937 rng(12345);
  for (int round = 0; round < 6; ++round) {
    auto lines = random_lines(rng);
    auto job = [&](auto& out) {
      return spate::from_collection(lines)
             | spate::flat_map([](const std::string& l) { return spate::words(l); })
             | spate::key_by([](std::string_view w) { return w; }) | spate::count() | spate::collect_into(out);
    };
    std::map<std::string, std::int64_t> expected;
    spate::run(job(expected));
    for (bool batched : {false, true})
      for (std::size_t p : {1u, 2u, 3u}) {
        CAPTURE(round, batched, p);
        std::map<std::string, std::int64_t> got;
        run_in(batched, p, job(got));
        CHECK(got == expected);
      }
  }
}

TEST_CASE("parallel == sequential: map, filter, key_by, reduce on random pairs", "[parallel][law]") {
  std::mt19937 rng(777);
  for (int round = 0; round < 4; ++round) {
    std::vector<std::pair<int, long>> in(std::uniform_int_distribution<std::size_t>(0, 3000)(rng));
    for (auto& [k, v] : in) k = std::uniform_int_distribution<int>(0, 40)(rng), v = std::uniform_int_distribution<long>(-100, 100)(rng);
    auto job = [&](auto& out) {
      return spate::from_collection(in)
             | spate::map([](std::pair<int, long> kv) { return std::pair<int, long>(kv.first * 3, kv.second * 2); })
             | spate::filter([](const std::pair<int, long>& kv) { return kv.second % 3 != 0; }) | spate::key_by<0>()
             | spate::reduce([](std::pair<int, long> a, const std::pair<int, long>& b) {
                 a.second += b.second;
                 return a;
               })
             | spate::map([](const auto& kv) { return std::pair<int, long>(kv.first, kv.second.second); })
             | spate::collect_into(out);
    };
    std::map<int, long> expected;
    spate::run(job(expected));
    for (bool batched : {false, true})
      for (std::size_t p : {2u, 4u}) {
        CAPTURE(round, batched, p);
        std::map<int, long> got;
        run_in(batched, p, job(got));
        CHECK(got == expected);
      }
  }
}

TEST_CASE("parallel without key_by: every record reaches the one sink", "[parallel]") {
  std::vector<int> in(10'000);
  for (int i = 0; i < 10'000; ++i) in[static_cast<std::size_t>(i)] = i;
  for (bool batched : {false, true}) {
    std::vector<int> got;  // collect_into a shared vector: the sink has its own thread
    run_in(batched, 3, spate::from_collection(in) | spate::map([](int x) { return x * 2; })
                           | spate::filter([](int x) { return x % 3 == 0; }) | spate::collect_into(got));
    std::sort(got.begin(), got.end());
    std::vector<int> expected;
    for (int x : in)
      if (x * 2 % 3 == 0) expected.push_back(x * 2);
    CHECK(got == expected);
  }
  // key_by straight into the sink: the shuffle, then the sink boundary.
  std::vector<int> keyed;
  run_in(false, 2, spate::from_collection(in) | spate::key_by([](int x) { return x % 13; }) | spate::collect_into(keyed));
  std::sort(keyed.begin(), keyed.end());
  CHECK(keyed == in);
}

TEST_CASE("micro-batch output == continuous output compacted at batch ends", "[micro_batch][law]") {
  std::mt19937 rng(4242);
  for (int round = 0; round < 3; ++round) {
    std::vector<std::pair<int, long>> in(std::uniform_int_distribution<std::size_t>(200, 600)(rng));
    for (auto& [k, v] : in) k = std::uniform_int_distribution<int>(0, 15)(rng), v = std::uniform_int_distribution<long>(1, 9)(rng);
    auto sum = [](std::pair<int, long> a, const std::pair<int, long>& b) {
      a.second += b.second;
      return a;
    };
    using out_t = std::pair<int, std::pair<int, long>>;
    // Micro-batch, rate-limited so the input spans several batches.
    spate_test::batch_log<out_t> mb;
    spate::context ctx{spate::micro_batch{20ms}, spate::max_rate{5000}};
    ctx.add(spate::from_collection(in) | spate::key_by<0>() | spate::reduce(sum) | spate_test::log_into(mb));
    ctx.start();
    ctx.await_termination();
    auto batches = ctx.batches();
    REQUIRE(batches.size() >= 2);
    // Continuous: every update.
    std::vector<out_t> rolling;
    spate::run(spate::from_collection(in) | spate::key_by<0>() | spate::reduce(sum) | spate::collect_into(rolling));
    REQUIRE(rolling.size() == in.size());
    // Compact the rolling output at the same batch ends (batch n holds the
    // next batches[n].records input records; one update per input record).
    std::size_t pos = 0;
    REQUIRE(mb.infos.size() == batches.size());
    for (std::size_t b = 0; b < batches.size(); ++b) {
      std::map<int, long> last;
      for (std::size_t i = 0; i < batches[b].records; ++i, ++pos) last[rolling[pos].first] = rolling[pos].second.second;
      std::map<int, long> got;
      for (auto& [k, v] : mb.batches[b]) {
        CHECK(got.count(k) == 0);  // each changed key once per batch
        got[k] = v.second;
      }
      CAPTURE(round, b);
      CHECK(got == last);
    }
    CHECK(pos == in.size());
  }
}

namespace {
// Records what a merger delivers, as text.
struct trace_down {
  std::vector<std::string>* out;
  bool push(int x) {
    out->push_back(std::to_string(x));
    return true;
  }
  void on_watermark(spate::event_time t) { out->push_back("wm" + std::to_string(spate::to_millis(t))); }
  void on_barrier(spate::checkpoint_id) {}
  void on_batch_end(const spate::batch_info& b) { out->push_back("batch" + std::to_string(b.number)); }
  void on_tick(spate::event_time) {}
  void on_idle(bool) {}
  void on_end() { out->push_back("end"); }
};
using ev = spate::exec::event<int>;
using ce = spate::exec::control_event;
ev wm(std::int64_t t) { return ev(std::in_place_index<0>, ce{ce::kind::watermark, t, 0}); }
ev batch(std::uint64_t n) { return ev(std::in_place_index<0>, ce{ce::kind::batch_end, 0, n}); }
ev end() { return ev(std::in_place_index<0>, ce{ce::kind::end, 0, 0}); }
ev rec(int x) { return ev(std::in_place_index<1>, x); }
// Events cross a channel in blocks: here all of a channel's events in one
// block, so the merger must also stop in the middle of a block (a batch end).
void send(spate::exec::channel<int>* q, std::vector<ev> es) { q->push(spate::exec::block<int>(es.begin(), es.end())); }
}  // namespace

TEST_CASE("merger: watermarks are the minimum over live channels", "[parallel][watermark]") {
  spate::exec::control ctl;
  spate::exec::merger<int> m(2, 16, &ctl.abort);
  send(m.input(0), {wm(10), wm(20), end()});
  send(m.input(1), {wm(5), wm(30), wm(40), end()});
  std::vector<std::string> out;
  trace_down d{&out};
  m.run(d, ctl, 10ms);
  // Channel 0 is read first (10, 20, end), then channel 1: min(20, 5) = 5,
  // then 30 and 40 are bounded by nothing once channel 0 has ended; when
  // both ended the watermark is max_watermark, as after a union (Flink).
  const std::string max = "wm" + std::to_string(spate::to_millis(spate::max_watermark));
  CHECK(out == std::vector<std::string>{"wm5", "wm30", "wm40", max, "end"});
}

TEST_CASE("merger: batch ends are aligned, records stay in their batch", "[parallel][micro_batch]") {
  spate::exec::control ctl;
  spate::exec::merger<int> m(2, 16, &ctl.abort);
  send(m.input(0), {rec(1), batch(0), rec(2), batch(1), end()});
  send(m.input(1), {rec(10), rec(11), batch(0), rec(12), batch(1), rec(13), end()});
  std::vector<std::string> out;
  trace_down d{&out};
  m.run(d, ctl, 10ms);
  // Channel 0 stops at its batch end until channel 1 delivers its own.
  const std::string max = "wm" + std::to_string(spate::to_millis(spate::max_watermark));
  CHECK(out == std::vector<std::string>{"1", "10", "11", "batch0", "12", "2", "batch1", "13", max, "end"});
}

TEST_CASE("merger: how long a barrier waited to align reaches the checkpoint log before the barrier goes on",
          "[parallel][checkpoint]") {
  spate::exec::control ctl;
  spate::exec::merger<int> m(2, 16, &ctl.abort);
  spate::exec::checkpoint_log log;
  struct barrier_down : trace_down {
    spate::exec::checkpoint_log* log = nullptr;
    std::chrono::microseconds seen{-1};
    void on_barrier(spate::checkpoint_id n) {  // as the last acknowledgement would: completes it
      log->completed(n, 0);
      seen = log->read().last->alignment;
    }
  };
  std::vector<std::string> out;
  barrier_down d{{&out}, &log};
  const ev barrier1(std::in_place_index<0>, ce{ce::kind::barrier, 0, 1});
  send(m.input(0), {barrier1});
  std::thread consumer([&] {
    spate::exec::current_metering().checkpoints = &log;
    m.run(d, ctl, 10ms);
  });
  // Channel 0's barrier was read once its block is gone; channel 1's comes
  // 30 ms later, so the alignment took at least that.
  while (!m.input(0)->empty()) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(30ms);
  send(m.input(1), {rec(7), barrier1, end()});
  send(m.input(0), {end()});
  consumer.join();
  CHECK(d.seen >= 30ms);
  CHECK(log.read().completed == 1);
}

TEST_CASE("watermarks through a shuffle arrive in order", "[parallel][watermark]") {
  // Two contiguous shards: 0..499 and 500..999, each announcing its values as
  // watermarks, through a shuffle and the sink boundary: watermarks arrive in
  // order and never go back.
  std::vector<std::int64_t> in(1000);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::int64_t>(i);
  for (bool batched : {false, true}) {
    spate_test::batch_log<std::int64_t> log;
    run_in(batched, 2, spate::from_collection(in) | spate_test::watermark_after_each{}
                           | spate::key_by([](std::int64_t x) { return x % 10; })
                           | spate::map([](std::int64_t x) { return x; }) | spate_test::log_into(log));
    REQUIRE(!log.watermarks.empty());
    CHECK(std::is_sorted(log.watermarks.begin(), log.watermarks.end()));
    // The shard that ends first stops holding the minimum back; when both
    // ended the watermark is max_watermark.
    REQUIRE(log.watermarks.size() >= 2);
    CHECK(log.watermarks.back() == spate::to_millis(spate::max_watermark));
    const auto before_end = log.watermarks[log.watermarks.size() - 2];
    CHECK((before_end == 499 || before_end == 999));
    std::size_t n = 0;
    for (auto& b : log.batches) n += b.size();
    CHECK(n == 1000);
  }
}

namespace {
struct click {
  int user;
  std::int64_t ts;  // event time, ms
};
}  // namespace

TEST_CASE("event-time windows: the same results under every executor", "[law][window]") {
  // Timestamps rise with jitter below the allowed out-of-orderness, so no
  // record is late however the input is split into shards.
  std::mt19937 rng(99);
  for (int round = 0; round < 3; ++round) {
    std::vector<click> in(std::uniform_int_distribution<std::size_t>(100, 2000)(rng));
    std::int64_t t = 1'000'000;
    for (auto& c : in) {
      t += std::uniform_int_distribution<int>(0, 3)(rng);
      c = {std::uniform_int_distribution<int>(0, 9)(rng), t - std::uniform_int_distribution<int>(0, 5)(rng)};
    }
    using result = spate::window_result<int, std::int64_t>;
    auto job = [&](std::vector<result>& out) {
      return spate::from_collection(in) | spate::with_watermarks(&click::ts, spate::bounded_out_of_orderness(10ms))
             | spate::key_by(&click::user) | spate::window(spate::tumbling(50ms), &click::ts) | spate::count()
             | spate::collect_into(out);
    };
    auto sorted = [](std::vector<result> v) {
      std::sort(v.begin(), v.end(), [](const result& a, const result& b) {
        return std::tie(a.key, a.start) < std::tie(b.key, b.start);
      });
      return v;
    };
    std::vector<result> expected;
    spate::run(job(expected));
    expected = sorted(expected);
    REQUIRE(!expected.empty());
    for (bool batched : {false, true})
      for (std::size_t p : {1u, 2u}) {
        CAPTURE(round, batched, p);
        std::vector<result> got;
        run_in(batched, p, job(got));
        CHECK(sorted(got) == expected);
      }
  }
}

TEST_CASE("event-time windows with idle detection: parallel == sequential", "[law][window]") {
  // Long enough for many ticks: a shard that is busy between two ticks must
  // never be taken for an idle one (its records would then come in late).
  std::mt19937 rng(7);
  std::vector<click> in(100000);
  std::int64_t t = 1'000'000;
  for (auto& c : in) {
    t += std::uniform_int_distribution<int>(0, 3)(rng);
    c = {std::uniform_int_distribution<int>(0, 9)(rng), t - std::uniform_int_distribution<int>(0, 5)(rng)};
  }
  using result = spate::window_result<int, std::int64_t>;
  using namespace std::chrono_literals;
  auto job = [&](std::vector<result>& out) {
    return spate::from_collection(in)
           | spate::with_watermarks(&click::ts, spate::bounded_out_of_orderness(10ms)).with_idleness(1s)
           | spate::key_by(&click::user) | spate::window(spate::tumbling(50ms), &click::ts) | spate::count()
           | spate::collect_into(out);
  };
  auto total = [](const std::vector<result>& v) {
    std::int64_t n = 0;
    for (auto& r : v) n += r.value;
    return n;
  };
  std::vector<result> expected;
  spate::run(job(expected));
  REQUIRE(total(expected) == 100000);
  for (bool batched : {false, true}) {
    CAPTURE(batched);
    std::vector<result> got;
    run_in(batched, 2, job(got));
    CHECK(total(got) == 100000);
    CHECK(got.size() == expected.size());
  }
}

TEST_CASE("parallel == sequential: two shuffles (word count, then regrouped by word length)", "[law]") {
  // key_by(word) | count emits running counts per word; key_by(word length)
  // | reduce keeps (largest count, number of updates). Under P workers the
  // updates arrive in another order, but the last value per length is fixed
  // by the input: the largest count among its words, and (continuous: every
  // update is emitted) the number of words of that length in the text. A
  // length whose updates were split over workers would show fewer.
  // Micro-batches compact the counts per batch: only the largest is fixed.
  std::mt19937 rng(2024);
  struct top {
    std::int64_t largest = 0, updates = 0;
    bool operator==(const top&) const = default;
  };
  for (int round = 0; round < 4; ++round) {
    auto lines = random_lines(rng);
    using lt = std::pair<std::size_t, top>;
    using keyed = std::pair<std::size_t, lt>;  // reduce's output: (key, reduced record)
    auto job = [&](std::vector<keyed>& out) {
      return spate::from_collection(lines) | spate::flat_map([](const std::string& l) { return spate::words(l); })
             | spate::key_by([](std::string_view w) { return std::string(w); }) | spate::count()
             | spate::map([](const auto& c) { return lt{c.first.size(), top{c.second, 1}}; })
             | spate::key_by([](const lt& c) { return c.first; })
             | spate::reduce([](const lt& a, const lt& b) {
                 return lt{a.first, top{std::max(a.second.largest, b.second.largest), a.second.updates + b.second.updates}};
               })
             | spate::collect_into(out);
    };
    auto last = [](const std::vector<keyed>& v, bool with_updates) {
      std::map<std::size_t, top> m;
      for (auto& [k, r] : v) {
        m[k].largest = std::max(m[k].largest, r.second.largest);
        if (with_updates) m[k].updates = std::max(m[k].updates, r.second.updates);
      }
      return m;
    };
    std::vector<keyed> expected;
    spate::run(job(expected));
    for (bool batched : {false, true})
      for (std::size_t p : {2u, 3u}) {
        CAPTURE(round, batched, p);
        std::vector<keyed> got;
        run_in(batched, p, job(got));
        CHECK(last(got, !batched) == last(expected, !batched));
      }
  }
}

TEST_CASE("the plan: one segment at P = 1, a level of P workers per key_by, a sink per worker, or one sink thread for a sink that needs one instance", "[parallel][plan]") {
  std::vector<std::string> lines{"a b", "b c"};
  std::map<std::size_t, std::int64_t> out;
  auto job = spate::from_collection(lines) | spate::flat_map([](const std::string& l) { return spate::words(l); })
             | spate::key_by([](std::string_view w) { return std::string(w); }) | spate::count()
             | spate::map([](const std::pair<std::string, std::int64_t>& p) { return p.first.size(); })
             | spate::key_by([](std::size_t n) { return n; }) | spate::count() | spate::collect_into(out);
  {
    spate::context one{spate::continuous{}};
    one.add(job);
    auto plans = one.plans();
    REQUIRE(plans.size() == 1);
    REQUIRE(plans[0].segments.size() == 1);
    CHECK(plans[0].threads() == 1);
    CHECK(plans[0].segments[0].stages.size() == 6);
    CHECK(plans[0].segments[0].output == spate::exec::plan::link::sink);
  }
  spate::context ctx{spate::continuous{}, spate::parallelism{3}};
  ctx.add(job);
  auto plans = ctx.plans();
  REQUIRE(plans.size() == 1);
  const auto& p = plans[0];
  CHECK(p.source == "range source");
  CHECK(p.sink == "collect_into");
  REQUIRE(p.segments.size() == 3);
  using link = spate::exec::plan::link;
  // source | flat_map => shuffle at key_by #2
  CHECK(p.segments[0].input == link::source);
  CHECK(p.segments[0].output == link::shuffle);
  CHECK(p.segments[0].output_name == "key_by");
  CHECK(p.segments[0].first == 1);
  CHECK(p.segments[0].last == 2);
  // count | map => shuffle at key_by #5
  CHECK(p.segments[1].input == link::shuffle);
  CHECK(p.segments[1].stages == std::vector<std::string_view>{"fold", "map"});
  CHECK(p.segments[1].last == 5);
  // count | collect_into: collect_into runs one part per worker, in the
  // worker's thread (no sink thread, no queue before the sink).
  CHECK(p.segments[2].input == link::shuffle);
  CHECK(p.segments[2].output == link::sink);
  CHECK(p.segments[2].output_name == "collect_into");
  CHECK(p.segments[2].parallelism == 3);
  CHECK(p.segments[2].stages == std::vector<std::string_view>{"fold"});
  CHECK(p.threads() == 3 + 3 + 3);
  const std::string text = ctx.explain();
  CHECK(text.find("key_by #2 => shuffle") != std::string::npos);
  CHECK(text.find("key_by #5 => shuffle") != std::string::npos);
  CHECK(text.find("| collect_into (one per worker)") != std::string::npos);
  CHECK(text.find("sink thread") == std::string::npos);
  {
    // print() needs one instance: the last workers feed the one sink thread.
    std::ostringstream os;
    spate::context printing{spate::continuous{}, spate::parallelism{3}};
    printing.add(spate::from_collection(lines) | spate::flat_map([](const std::string& l) { return spate::words(l); })
                 | spate::key_by([](std::string_view w) { return std::string(w); }) | spate::count() | spate::print(os));
    auto pp = printing.plans().at(0);
    REQUIRE(pp.segments.size() == 3);
    CHECK(pp.segments[1].output == link::sink_boundary);
    CHECK(pp.segments[2].input == link::sink_boundary);
    CHECK(pp.segments[2].parallelism == 1);
    CHECK(pp.threads() == 3 + 3 + 1);
    CHECK(printing.explain().find("=> sink thread") != std::string::npos);
  }
  {
    // A stateless pipeline into a per-worker sink: P fused loops, no queue.
    long total = 0;
    std::vector<int> xs{1, 2, 3, 4, 5, 6, 7};
    spate::context stateless{spate::continuous{}, spate::parallelism{2}};
    stateless.add(spate::from_collection(xs) | spate::map([](int x) { return x * 3; })
                  | spate::filter([](int x) { return x % 2 != 0; }) | spate::sum_into(total));
    auto sp = stateless.plans().at(0);
    REQUIRE(sp.segments.size() == 1);
    CHECK(sp.segments[0].input == link::source);
    CHECK(sp.segments[0].output == link::sink);
    CHECK(sp.segments[0].parallelism == 2);
    CHECK(sp.threads() == 2);
    stateless.start();
    stateless.await_termination();
    CHECK(total == 3 + 9 + 15 + 21);
  }
  // The plan is what runs: the same results as sequentially.
  ctx.start();
  ctx.await_termination();
  std::map<std::size_t, std::int64_t> expected;
  spate::run(spate::from_collection(lines) | spate::flat_map([](const std::string& l) { return spate::words(l); })
             | spate::key_by([](std::string_view w) { return std::string(w); }) | spate::count()
             | spate::map([](const std::pair<std::string, std::int64_t>& p) { return p.first.size(); })
             | spate::key_by([](std::size_t n) { return n; }) | spate::count() | spate::collect_into(expected));
  CHECK(out == expected);
}

TEST_CASE("parallel == sequential: stateless map, filter, sum with a sum per worker (no queue)", "[parallel][law]") {
  std::mt19937 rng(31337);
  for (int round = 0; round < 4; ++round) {
    std::vector<long> in(std::uniform_int_distribution<std::size_t>(0, 20000)(rng));
    for (auto& x : in) x = std::uniform_int_distribution<long>(-1000, 1000)(rng);
    auto job = [&](long& out) {
      return spate::from_collection(in) | spate::map([](long x) { return x * 3; })
             | spate::filter([](long x) { return x % 2 != 0; }) | spate::sum_into(out);
    };
    long expected = 0;
    spate::run(job(expected));
    for (bool batched : {false, true})
      for (std::size_t p : {1u, 2u, 3u}) {
        CAPTURE(round, batched, p);
        long got = 0;
        run_in(batched, p, job(got));
        CHECK(got == expected);
      }
    for (std::size_t p : {1u, 2u, 4u}) {
      long a = 0, b = 0;
      spate::run(job(a), spate::parallelism{p});
      spate::run_batch(job(b), spate::parallelism{p});
      CHECK(a == expected);
      CHECK(b == expected);
    }
  }
}

TEST_CASE("run_batch(job, parallelism{P}): final counts once per key, equal to run_batch(job)", "[parallel][law][batch]") {
  std::mt19937 rng(8080);
  for (int round = 0; round < 5; ++round) {
    auto lines = random_lines(rng);
    using wc = std::pair<std::string, std::int64_t>;
    auto job = [&](std::vector<wc>& out) {
      return spate::from_collection(lines) | spate::flat_map([](const std::string& l) { return spate::words(l); })
             | spate::key_by([](std::string_view w) { return std::string(w); }) | spate::count()
             | spate::collect_into(out);
    };
    std::vector<wc> expected;
    spate::run_batch(job(expected));
    std::sort(expected.begin(), expected.end());
    for (std::size_t p : {1u, 2u, 3u}) {
      CAPTURE(round, p);
      std::vector<wc> got;
      spate::run_batch(job(got), spate::parallelism{p});
      std::sort(got.begin(), got.end());
      CHECK(got == expected);  // each key exactly once: the one batch is compacted
      std::map<std::string, std::int64_t> rolling, seq;
      auto rjob = [&](std::map<std::string, std::int64_t>& out) {
        return spate::from_collection(lines) | spate::flat_map([](const std::string& l) { return spate::words(l); })
               | spate::key_by([](std::string_view w) { return std::string(w); }) | spate::count()
               | spate::collect_into(out);
      };
      spate::run(rjob(seq));
      spate::run(rjob(rolling), spate::parallelism{p});
      CHECK(rolling == seq);
    }
  }
}

TEST_CASE("run(job, parallelism{P}) rethrows a stage error", "[parallel]") {
  std::vector<int> in(1000, 1);
  long total = 0;
  auto job = spate::from_collection(in) | spate::map([](int x) -> int {
               if (x == 1) throw std::runtime_error("boom");
               return x;
             })
             | spate::sum_into(total);
  CHECK_THROWS_AS(spate::run(job, spate::parallelism{2}), spate::stage_error);
}

TEST_CASE("for_each(f).per_worker(): a copy of f per worker, no sink thread", "[parallel]") {
  std::vector<int> in(5000);
  for (int i = 0; i < 5000; ++i) in[static_cast<std::size_t>(i)] = i;
  for (bool batched : {false, true}) {
    std::atomic<long> sum{0};
    auto job = spate::from_collection(in) | spate::key_by([](int x) { return x % 7; })
               | spate::for_each([&](int x) { sum.fetch_add(x, std::memory_order_relaxed); }).per_worker();
    auto ctx = make_context(batched, 2);
    ctx->add(job);
    const auto plan = ctx->plans().at(0);
    REQUIRE(plan.segments.size() == 2);
    CHECK(plan.segments[1].output == spate::exec::plan::link::sink);
    CHECK(plan.segments[1].parallelism == 2);
    ctx->start();
    ctx->await_termination();
    CHECK(sum.load() == 4999L * 5000 / 2);
  }
}

TEST_CASE("collect_into parts per worker: every record, and micro-batch metrics count each part", "[parallel][micro_batch]") {
  std::vector<int> in(20000);
  for (int i = 0; i < 20000; ++i) in[static_cast<std::size_t>(i)] = i;
  std::vector<int> got;
  spate::context ctx{spate::micro_batch{20ms}, spate::parallelism{3}, spate::max_rate{100'000}};
  ctx.add(spate::from_collection(in) | spate::map([](int x) { return x + 1; }) | spate::collect_into(got));
  ctx.start();
  ctx.await_termination();
  std::sort(got.begin(), got.end());
  REQUIRE(got.size() == in.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == in[i] + 1);
  auto batches = ctx.batches();
  REQUIRE(!batches.empty());
  std::uint64_t records = 0;
  for (std::size_t i = 0; i < batches.size(); ++i) {
    CHECK(batches[i].number == batches[0].number + i);
    records += batches[i].records;
  }
  CHECK(records == in.size());
}

namespace {
// Count per word, and per word length a reduce after a second key_by (over
// owned records): both combinable before their shuffle.
template <class Out>
auto word_count_job(const std::vector<std::string>& lines, Out& out) {
  return spate::from_collection(lines) | spate::flat_map([](const std::string& l) { return spate::words(l); })
         | spate::key_by([](std::string_view w) { return w; }) | spate::count() | spate::collect_into(out);
}
template <class Out>
auto word_length_job(const std::vector<std::string>& lines, Out& out) {
  using lc = std::pair<std::size_t, std::int64_t>;
  return spate::from_collection(lines) | spate::flat_map([](const std::string& l) { return spate::words(l); })
         | spate::map([](std::string_view w) { return lc{w.size(), 1}; }) | spate::key_by<0>()
         | spate::reduce([](const lc& a, const lc& b) { return lc{a.first, a.second + b.second}; })
         | spate::map([](const std::pair<std::size_t, lc>& kv) { return kv.second; }) | spate::collect_into(out);
}
}  // namespace

TEST_CASE("combining before the shuffle (micro-batch, batch): the plan shows it, results equal the uncombined run", "[parallel][law][combine]") {
  using link = spate::exec::plan::link;
  std::mt19937 rng(5150);
  for (int round = 0; round < 4; ++round) {
    auto lines = random_lines(rng);
    auto words = [&](auto& out) { return word_count_job(lines, out); };
    // A reduce after a second key_by, over owned records: combined too.
    auto lengths = [&](auto& out) { return word_length_job(lines, out); };
    std::map<std::string, std::int64_t> expected;
    std::map<std::size_t, std::int64_t> expected_len;
    spate::run(words(expected));
    spate::run(lengths(expected_len));
    for (std::size_t keys : {std::size_t{0}, std::size_t{3}, std::size_t{65536}})
      for (std::size_t p : {2u, 3u}) {
        CAPTURE(round, keys, p);
        std::map<std::string, std::int64_t> got;
        std::map<std::size_t, std::int64_t> got_len;
        spate::context ctx{spate::micro_batch{20ms}, spate::parallelism{p}, spate::combine_keys{keys}};
        ctx.add(words(got));
        ctx.add(lengths(got_len));
        const auto plans = ctx.plans();
        REQUIRE(plans.size() == 2);
        for (const auto& plan : plans) {
          REQUIRE(plan.segments.size() == 2);
          CHECK(plan.segments[0].output == link::shuffle);
          CHECK(plan.segments[0].combined == (keys > 0));
          CHECK(plan.segments[1].merges_partials == (keys > 0));
          CHECK(plan.segments[1].output == link::sink);
        }
        if (keys > 0) CHECK(ctx.explain().find("key_by #2 => combine #3 => shuffle") != std::string::npos);
        ctx.start();
        ctx.await_termination();
        CHECK(got == expected);
        CHECK(got_len == expected_len);
      }
    // Continuous execution does not combine (every update reaches the sink).
    spate::context rolling{spate::continuous{}, spate::parallelism{2}};
    std::map<std::string, std::int64_t> unused;
    rolling.add(words(unused));
    CHECK_FALSE(rolling.plans().at(0).segments[0].combined);
  }
}

TEST_CASE("combining before the shuffle under continuous{}: each key's latest value is the uncombined run's, with fewer updates",
          "[parallel][law][combine]") {
  using link = spate::exec::plan::link;
  std::mt19937 rng(6160);
  for (int round = 0; round < 3; ++round) {
    auto lines = random_lines(rng);
    auto words = [&](auto& out) { return word_count_job(lines, out); };
    auto lengths = [&](auto& out) { return word_length_job(lines, out); };
    // collect_into a map keeps each key's latest update
    std::map<std::string, std::int64_t> expected;
    std::map<std::size_t, std::int64_t> expected_len;
    spate::run(words(expected));
    spate::run(lengths(expected_len));
    for (std::size_t keys : {std::size_t{3}, std::size_t{4096}})
      for (std::size_t p : {2u, 3u}) {
        CAPTURE(round, keys, p);
        std::map<std::string, std::int64_t> got;
        std::map<std::size_t, std::int64_t> got_len;
        spate::context ctx{spate::continuous{}, spate::parallelism{p}, spate::combine_continuous{keys}};
        ctx.add(words(got));
        ctx.add(lengths(got_len));
        for (const auto& plan : ctx.plans()) {
          REQUIRE(plan.segments.size() == 2);
          CHECK(plan.segments[0].output == link::shuffle);
          CHECK(plan.segments[0].combined);
          CHECK(plan.segments[1].merges_partials);
        }
        CHECK(ctx.explain().find("sent at least once per chunk of source work") != std::string::npos);
        ctx.start();
        ctx.await_termination();
        CHECK(got == expected);
        CHECK(got_len == expected_len);
      }
  }
}

TEST_CASE("combining under continuous{}: the sink sees fewer updates, the last one per key is the count",
          "[parallel][combine]") {
  // 3000 lines of the same four words: 12 000 updates uncombined; combined,
  // one per word and chunk of a source shard's work (at most 1024 lines).
  std::vector<std::string> lines(3000, "red green red blue");
  auto job = [&](std::atomic<long>& n, std::map<std::string, std::int64_t>& last, std::mutex& m) {
    return spate::from_collection(lines) | spate::flat_map([](const std::string& l) { return spate::words(l); })
           | spate::key_by([](std::string_view w) { return w; }) | spate::count()
           | spate::for_each([&](const std::pair<std::string, std::int64_t>& kv) {
               n.fetch_add(1);
               std::lock_guard g(m);
               auto& v = last[kv.first];
               v = std::max(v, kv.second);  // counts only grow
             });
  };
  for (bool combine : {false, true}) {
    CAPTURE(combine);
    std::atomic<long> n{0};
    std::map<std::string, std::int64_t> last;
    std::mutex m;
    if (combine)
      spate::run(job(n, last, m), spate::parallelism{2}, spate::combine_continuous{});
    else
      spate::run(job(n, last, m), spate::parallelism{2});
    CHECK(last == std::map<std::string, std::int64_t>{{"blue", 3000}, {"green", 3000}, {"red", 6000}});
    if (combine)
      CHECK(n.load() < 200);
    else
      CHECK(n.load() == 12000);
  }
}

TEST_CASE("docs: run_batch with a parallelism", "[parallel][batch]") {
  std::vector<std::string> lines{"to be or not to be", "that is the question"};
  // [doc:parallel-run-batch]
  std::unordered_map<std::string, std::int64_t> counts;
  spate::run_batch(spate::from_collection(lines) | spate::flat_map([](const std::string& l) { return spate::words(l); })
                       | spate::key_by([](std::string_view w) { return w; }) | spate::count() | spate::collect_into(counts),
                   spate::parallelism{2});
  // [end]
  CHECK(counts.size() == 8);
  CHECK(counts["to"] == 2);
  CHECK(counts["be"] == 2);
}
