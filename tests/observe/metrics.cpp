// ctx.metrics(): per-stage records in and out (summed over instances),
// watermarks, micro-batch work time, checkpoints, counters; read while the
// job runs and after it ended. No timing margins: waits poll for a condition
// with a generous budget.
#include <catch2/catch.hpp>

#include <spate/observe/metrics_json.hpp>
#include <spate/observe/prometheus.hpp>
#include <spate/spate.hpp>

#include <chrono>
#include <cstdio>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <atomic>
#include <filesystem>
#include <unistd.h>

#include "eventually.hpp"

using namespace std::chrono_literals;

namespace {

struct temp_dir {
  std::filesystem::path p = std::filesystem::temp_directory_path() /
                            ("spate_observe_" + std::to_string(::getpid()) + "_" + std::to_string(next()));
  static int next() {
    static std::atomic<int> n{0};
    return n++;
  }
  const std::filesystem::path& path() const { return p; }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(p, ec);
  }
};

// Waits until `ok` holds (true) or a minute passed (false).
using spate_test::eventually;

std::vector<int> numbers(int n) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i) v.push_back(i);
  return v;
}

}  // namespace

TEST_CASE("metrics: records in and out per stage, one thread") {
  const auto xs = numbers(1000);
  long sum = 0;
  // [doc:pull]
  spate::context ctx{spate::continuous{}};
  ctx.add(spate::from_collection(xs) | spate::map([](int x) { return x * 3; }) |
          spate::filter([](int x) { return x % 2 != 0; }) | spate::sum_into(sum));
  ctx.start();
  ctx.await_termination();
  const spate::metrics_snapshot m = ctx.metrics();  // also while the job runs
  for (const spate::stage_metrics& s : m.stages)
    std::printf("%zu %-12s in %llu out %llu\n", s.position, s.name.c_str(),
                static_cast<unsigned long long>(s.records_in), static_cast<unsigned long long>(s.records_out));
  // [end]
  REQUIRE(m.stages.size() == 4);  // source, map, filter, sink
  const auto* src = m.stage(0, 0);
  REQUIRE(src);
  CHECK(src->name == "range source");
  CHECK(src->records_out == 1000);
  const auto* map = m.stage(0, 1);
  CHECK(map->name == "map");
  CHECK(map->records_in == 1000);
  CHECK(map->records_out == 1000);
  CHECK(map->instances == 1);
  const auto* filter = m.stage(0, 2);
  CHECK(filter->records_in == 1000);
  CHECK(filter->records_out == 500);
  const auto* sink = m.stage(0, 3);
  CHECK(sink->name == "sum_into");
  CHECK(sink->records_in == 500);
  CHECK_FALSE(filter->watermark_ms.has_value());
}

TEST_CASE("metrics: parallel instances are summed, a shuffle between them") {
  std::vector<std::string> lines;
  for (int i = 0; i < 300; ++i) lines.push_back("a b c " + std::to_string(i % 7));
  std::vector<std::pair<std::string, std::int64_t>> counts;
  spate::context ctx{spate::continuous{}, spate::parallelism{3}};
  ctx.add(spate::from_collection(lines) | spate::flat_map([](const std::string& l) { return spate::words(l); }) |
          spate::key_by([](std::string_view w) { return std::string(w); }) | spate::count() |
          spate::collect_into(counts));
  ctx.start();
  ctx.await_termination();
  const auto m = ctx.metrics();
  CHECK(m.stage(0, 0)->records_out == 300);
  const auto* fm = m.stage(0, 1);
  CHECK(fm->records_in == 300);
  CHECK(fm->records_out == 1200);
  CHECK(fm->instances == 3);
  const auto* kb = m.stage(0, 2);
  CHECK(kb->name == "key_by");
  CHECK(kb->records_in == 1200);
  CHECK(kb->records_out == 1200);
  const auto* count = m.stage(0, 3);
  CHECK(count->keeps_state);
  CHECK(count->records_in == 1200);
  CHECK(count->records_out == 1200);  // continuous: every update
  CHECK(m.stage(0, 4)->records_in == counts.size());
}

TEST_CASE("metrics: counts move while the job runs, the watermark and its lag") {
  struct ev {
    std::int64_t ts;
  };
  std::atomic<std::uint64_t> seen{0};
  spate::context ctx{spate::continuous{}};
  const auto now_ms = spate::to_millis(std::chrono::time_point_cast<spate::duration>(std::chrono::system_clock::now()));
  ctx.add(spate::generate([now_ms](std::uint64_t i) { return ev{now_ms - 60'000 + static_cast<std::int64_t>(i % 1000)}; },
                          spate::unbounded) |
          spate::with_watermarks(&ev::ts, spate::bounded_out_of_orderness(0ms)) |
          spate::for_each([&](const ev&) { seen.fetch_add(1, std::memory_order_relaxed); }));
  ctx.start();
  CHECK(eventually([&] {
    const auto m = ctx.metrics();
    const auto* s = m.stage(0, 2);  // the sink
    return s && s->records_in > 10'000 && s->watermark_ms.has_value();
  }));
  const auto m = ctx.metrics();
  const auto* sink = m.stage(0, 2);
  REQUIRE(sink->watermark_ms.has_value());
  // The event times are a minute behind the wall clock.
  REQUIRE(sink->watermark_lag_ms.has_value());
  CHECK(*sink->watermark_lag_ms >= 59'000);
  const auto first = sink->records_in;
  CHECK(eventually([&] { return ctx.metrics().stage(0, 2)->records_in > first; }));
  ctx.stop();
  CHECK(ctx.metrics().stage(0, 2)->records_in == seen.load());
}

TEST_CASE("metrics: micro-batches report Spark's processing time (work_time)") {
  spate::context ctx{spate::micro_batch{50ms}};
  std::atomic<std::uint64_t> seen{0};
  ctx.add(spate::generate([](std::uint64_t i) { return i; }, spate::unbounded) |
          spate::map([](std::uint64_t i) { return i * 2; }) |
          spate::for_each([&](std::uint64_t) { seen.fetch_add(1, std::memory_order_relaxed); }));
  ctx.start();
  CHECK(eventually([&] { return ctx.metrics().batches.size() >= 3; }));
  ctx.stop();
  const auto m = ctx.metrics();
  REQUIRE(m.batches.size() >= 3);
  bool some_work = false;
  for (const auto& b : m.batches) {
    CHECK(b.work_time >= b.processing_time);
    if (b.records > 0) some_work = some_work || b.work_time.count() > 0;
  }
  // A source that never waits is busy for its whole interval: the work time
  // says the job is saturated, where processing_time (the tail) does not.
  CHECK(some_work);
}

TEST_CASE("metrics: checkpoints, their duration and size, counters") {
  temp_dir d;
  struct counted {
    spate::user_counter* c = nullptr;
    void open(const spate::runtime_context& ctx) { c = &ctx.counter("odd"); }
    std::uint64_t operator()(std::uint64_t x) {
      if (x % 2) c->add();
      return x % 10;
    }
  };
  spate::context ctx{spate::continuous{}, spate::checkpointing{.interval = 20ms, .folder = d.path() / "chk"}};
  ctx.add(spate::generate([](std::uint64_t i) { return i; }, spate::unbounded) | spate::map(counted{}) |
          spate::uid("odd-counter") | spate::key_by([](std::uint64_t x) { return x; }) | spate::count() |
          spate::for_each([](const auto&) {}));
  ctx.start();
  CHECK(eventually([&] { return ctx.metrics().checkpoints.completed >= 2; }));
  ctx.stop();
  const auto m = ctx.metrics();
  REQUIRE(m.checkpoints.last.has_value());
  CHECK(m.checkpoints.last->id >= 1);
  CHECK(m.checkpoints.last->bytes > 0);  // the counts per key
  CHECK(m.checkpoints.last->completed_ms > 0);
  CHECK(m.checkpoints.history.size() == m.checkpoints.completed);
  // How long barriers waited to align: in the record and in the exporters.
  const std::string alignment = "spate_last_checkpoint_alignment_seconds " +
                                spate::json_text::number(static_cast<double>(m.checkpoints.last->alignment.count()) / 1e6);
  CHECK_THAT(spate::observe::prometheus_text(m), Catch::Contains(alignment + "\n"));
  CHECK_THAT(spate::observe::metrics_json(m),
             Catch::Contains("\"alignment_us\":" + std::to_string(m.checkpoints.last->alignment.count())));
  REQUIRE(m.counters.count("odd-counter/odd") == 1);
  CHECK(m.counters.at("odd-counter/odd") > 0);
  // The keyed count's state: its 10 keys, and its file in the last checkpoint.
  const spate::stage_metrics* count = nullptr;
  for (const auto& s : m.stages)
    if (s.name == "fold") count = &s;  // count() is a fold
  REQUIRE(count);
  CHECK(count->state_keys == 10u);
  REQUIRE(count->state_bytes.has_value());
  CHECK(*count->state_bytes > 0);
  CHECK(*count->state_bytes <= m.checkpoints.last->bytes);
  CHECK_FALSE(m.stage(0, 1)->state_keys.has_value());  // the map keeps none
  CHECK_THAT(spate::observe::prometheus_text(m), Catch::Contains("spate_stage_state_keys{job=\"0\",position=\"" +
                                                                 std::to_string(count->position) + "\",stage=\"fold\""));
}

TEST_CASE("metrics: keys of keyed state per stage, summed over parallel instances, live") {
  spate::context ctx{spate::continuous{}, spate::parallelism{2}};
  ctx.add(spate::generate([](std::uint64_t i) { return i; }, spate::unbounded) |
          spate::key_by([](std::uint64_t x) { return x % 37; }) | spate::reduce([](std::uint64_t a, std::uint64_t b) { return a + b; }) |
          spate::for_each([](const auto&) {}));
  ctx.start();
  // While it runs: each instance holds its share of the 37 keys; their sum is 37.
  CHECK(eventually([&] {
    for (const auto& s : ctx.metrics().stages)
      if (s.name == "reduce" && s.state_keys == 37u && s.instances == 2) return true;
    return false;
  }));
  ctx.stop();
}

TEST_CASE("metrics: metering{false} reports no stage figures") {
  const auto xs = numbers(100);
  long sum = 0;
  spate::context ctx{spate::metering{false}};
  ctx.add(spate::from_collection(xs) | spate::map([](int x) { return x; }) | spate::sum_into(sum));
  ctx.start();
  ctx.await_termination();
  const auto m = ctx.metrics();
  CHECK(sum == 4950);
  for (const auto& s : m.stages) CHECK(s.records_in == 0);
}
