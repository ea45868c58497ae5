// Per-partition figures of a Kafka source in ctx.metrics() and its
// exporters: the next offset, the high watermark and the lag between them,
// against a real broker. The source is rate-limited so that the lag is seen
// while it drains; waits poll for a condition with a generous budget.
#include <spate/observe/metrics_json.hpp>
#include <spate/observe/prometheus.hpp>

#include "source_support.hpp"

namespace {

const spate::partition_metrics* find_partition(const spate::metrics_snapshot& m, const std::string& topic,
                                               std::int32_t partition) {
  for (const auto& p : m.partitions)
    if (p.topic == topic && p.partition == partition) return &p;
  return nullptr;
}

bool at(const spate::metrics_snapshot& m, const std::string& topic, std::int32_t partition, std::int64_t offset) {
  const auto* p = find_partition(m, topic, partition);
  return p && p->offset == offset && p->high_watermark == offset && p->lag == 0;
}

}  // namespace

TEST_CASE("metrics: each Kafka partition's offset, high watermark and lag, as the source drains it", "[kafka]") {
  auto t = kt::new_topic("lag", 2);
  {
    kt::producer p;
    for (int i = 0; i < 200; ++i) p.send(t, "a" + std::to_string(i), 0);
    for (int i = 0; i < 40; ++i) p.send(t, "b" + std::to_string(i), 1);
    p.flush();
  }
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> seen{0};
  spate::context ctx{spate::continuous{}, spate::parallelism{2}};
  // 50 records/s per partition: partition 0's 200 take seconds to read, so
  // its lag is there to be seen.
  ctx.add(kafka::source(kt::cfg(), {t}).max_rate_per_partition(50).stop_when(stop) |
          spate::for_each([&](const std::string&) { seen.fetch_add(1); }));
  ctx.start();

  // While it drains: partition 0 known, behind its high watermark.
  bool lag_seen = false;
  for (kt::patience wait; wait && !lag_seen; std::this_thread::sleep_for(std::chrono::milliseconds(5))) {
    const auto m = ctx.metrics();
    if (const auto* p = find_partition(m, t, 0); p && p->lag && *p->lag > 0) {
      lag_seen = true;
      CHECK(p->job == 0);
      CHECK(p->high_watermark == 200);
      REQUIRE(p->offset);
      CHECK(*p->lag == 200 - *p->offset);
    }
  }
  CHECK(lag_seen);

  // Caught up: both partitions at their ends, no lag.
  spate::metrics_snapshot m;
  for (kt::patience wait; wait; std::this_thread::sleep_for(std::chrono::milliseconds(20))) {
    m = ctx.metrics();
    if (at(m, t, 0, 200) && at(m, t, 1, 40)) break;
  }
  CHECK(at(m, t, 0, 200));
  CHECK(at(m, t, 1, 40));
  CHECK(seen == 240);
  CHECK(m.partitions.size() == 2);

  // Records written later move the high watermark and the offset behind it.
  {
    kt::producer p;
    for (int i = 0; i < 10; ++i) p.send(t, "c" + std::to_string(i), 1);
    p.flush();
  }
  for (kt::patience wait; wait && !at(m, t, 1, 50); std::this_thread::sleep_for(std::chrono::milliseconds(20)))
    m = ctx.metrics();
  CHECK(at(m, t, 1, 50));

  // The exporters say the same.
  const std::string labels = "{job=\"0\",topic=\"" + t + "\",partition=\"1\"}";
  const auto text = spate::observe::prometheus_text(m);
  CHECK_THAT(text, Catch::Contains("# TYPE spate_kafka_partition_lag_records gauge"));
  CHECK_THAT(text, Catch::Contains("spate_kafka_partition_offset" + labels + " 50\n"));
  CHECK_THAT(text, Catch::Contains("spate_kafka_partition_high_watermark" + labels + " 50\n"));
  CHECK_THAT(text, Catch::Contains("spate_kafka_partition_lag_records" + labels + " 0\n"));
  CHECK_THAT(spate::observe::metrics_json(m),
             Catch::Contains("{\"job\":0,\"topic\":\"" + t + "\",\"partition\":1,\"offset\":50,\"high_watermark\":50,\"lag\":0}"));

  stop = true;
  ctx.await_termination();
  CHECK(seen == 250);
}

TEST_CASE("metrics: partitions by job, and bounded sources' last figures stay after they end", "[kafka]") {
  // Two jobs of one context read the same partition: one entry per job,
  // each at the end offset it stopped at (latest() reads nothing).
  auto t = kt::new_topic("lag-restart", 1);
  {
    kt::producer p;
    for (int i = 0; i < 30; ++i) p.send(t, std::to_string(i), 0);
    p.flush();
  }
  spate::context ctx{spate::micro_batch{std::chrono::milliseconds(50)}};
  std::vector<std::string> out;
  ctx.add(kafka::source(kt::cfg(), {t}).until_offsets_end() | spate::collect_into(out));
  ctx.add(kafka::source(kt::cfg(), {t}).start_from(kafka::latest()).until_offsets_end() | spate::collect_into(out));
  ctx.start();
  ctx.await_termination();
  const auto m = ctx.metrics();
  REQUIRE(m.partitions.size() == 2);  // one per job
  for (const auto& p : m.partitions) {
    CHECK(p.topic == t);
    CHECK(p.offset == 30);
    CHECK(p.high_watermark == 30);
    CHECK(p.lag == 0);
  }
  CHECK(m.partitions[0].job == 0);
  CHECK(m.partitions[1].job == 1);
  CHECK(out.size() == 30);
}
