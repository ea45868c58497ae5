// Backpressure: a slow sink fills the queues in front of it; producers
// report the time they were blocked, the boundary its fill and high-water
// mark, and micro-batches the time their sources were blocked. No timing
// margins: each condition is waited for with a generous budget.
#include <catch2/catch.hpp>

#include <spate/observe/metrics_json.hpp>
#include <spate/observe/prometheus.hpp>
#include <spate/spate.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>
#include <thread>

#include "eventually.hpp"

using namespace std::chrono_literals;

using spate_test::eventually;

TEST_CASE("backpressure: a slow sink shows full queues, blocked producers and blocked sources") {
  spate::context ctx{spate::micro_batch{50ms}, spate::parallelism{2}, spate::queue_capacity{64}};
  std::atomic<std::uint64_t> seen{0};
  ctx.add(spate::generate([](std::uint64_t i) { return i; }, spate::unbounded) |
          spate::key_by([](std::uint64_t i) { return i % 16; }) | spate::map([](std::uint64_t i) { return i + 1; }) |
          spate::for_each([&](std::uint64_t) {
            std::this_thread::sleep_for(20us);
            seen.fetch_add(1, std::memory_order_relaxed);
          }));
  ctx.start();
  const spate::boundary_metrics* full = nullptr;
  spate::metrics_snapshot m;
  CHECK(eventually([&] {
    m = ctx.metrics();
    full = nullptr;
    for (const auto& b : m.boundaries)
      if (b.queue_capacity > 0 && b.high_water == b.queue_capacity && b.producer_blocked.count() > 0) full = &b;
    bool source_blocked = false;
    for (const auto& b : m.batches) source_blocked = source_blocked || b.source_blocked_time.count() > 0;
    return full && source_blocked;
  }));
  REQUIRE(full);
  // In front of the map (after the key_by's shuffle: 2 workers, each fed by
  // 2 shards) or of the sink (its thread, fed by 2 workers).
  CHECK((full->position == 2 || full->position == 3));
  CHECK(full->name == (full->position == 2 ? "map" : "for_each"));
  if (full->position == 2) CHECK(full->capacity == 2 * 2 * full->queue_capacity);
  const std::string labels = "{job=\"0\",position=\"" + std::to_string(full->position) + "\",stage=\"" + full->name + "\"}";
  // Blocked time is part of the batch's work time (Spark's processing time).
  for (const auto& b : m.batches) CHECK(b.work_time >= std::chrono::duration_cast<std::chrono::microseconds>(b.source_blocked_time));
  // Some moment shows the queues holding blocks.
  CHECK(eventually([&] {
    for (const auto& b : ctx.metrics().boundaries)
      if (b.fill > 0) return true;
    return false;
  }));
  const auto text = spate::observe::prometheus_text(m);
  CHECK(text.find("spate_boundary_queue_fill_blocks" + labels) != std::string::npos);
  CHECK(text.find("spate_boundary_queue_high_water_ratio" + labels + " 1\n") != std::string::npos);
  CHECK(text.find("spate_boundary_producer_blocked_seconds_total") != std::string::npos);
  const auto json = spate::observe::metrics_json(m);
  CHECK(json.find("\"boundaries\":[{\"job\":0,\"position\":") != std::string::npos);
  CHECK(json.find("\"producer_blocked_us\":") != std::string::npos);
  ctx.stop();
}

TEST_CASE("backpressure: a job that keeps up blocks nowhere") {
  spate::context ctx{spate::continuous{}, spate::parallelism{2}};
  std::vector<int> xs(2000, 1);
  long sum = 0;
  ctx.add(spate::from_collection(xs) | spate::key_by([](int x) { return x; }) | spate::sum_into(sum));
  ctx.start();
  ctx.await_termination();
  CHECK(sum == 2000);
  const auto m = ctx.metrics();
  REQUIRE(!m.boundaries.empty());
  for (const auto& b : m.boundaries) CHECK(b.fill == 0);  // all drained at the end
}
