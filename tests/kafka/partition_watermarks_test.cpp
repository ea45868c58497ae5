// Event time (partition_watermarks.hpp): per-partition watermarks, their
// minimum downstream, idle partitions and idle workers left out.
#include "source_support.hpp"

TEST_CASE("event time: per-partition watermarks, the minimum goes downstream, idle partitions do not stall",
          "[kafka]") {
  auto t = kt::new_topic("wm", 2);
  kt::producer p;
  for (int i = 0; i < 5; ++i) p.send(t, "a", 0, std::nullopt, 10000 + i * 1000);  // up to 14000
  for (int i = 0; i < 3; ++i) p.send(t, "b", 1, std::nullopt, 10000 + i * 100);   // up to 10200
  p.flush();
  recorder<std::string> rec;
  auto d = kafka::source(kt::cfg(), {t})
               .with_event_time(std::chrono::milliseconds(50))
               // Long enough that neither partition turns idle while the first
               // eight records are read one at a time on a busy machine (at
               // 300 ms, partition 1 sometimes did, and the watermark rightly
               // jumped to partition 0's).
               .with_idleness(std::chrono::milliseconds(2000))
               .open(rec, spate::shard{}, rec);
  for (kt::patience wait; wait && rec.values.size() < 8;) d.poll(1);  // one record at a time
  REQUIRE(rec.values.size() == 8);
  // Both partitions caught up and quiet (for less than the idleness): the
  // watermark stands at the minimum, whatever order the fetches interleaved in.
  for (auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(800);
       std::chrono::steady_clock::now() < until;)
    d.poll(100);
  INFO("watermarks: " << spate::to_text(rec.watermarks));
  REQUIRE(!rec.watermarks.empty());
  CHECK(rec.watermarks.back() == 10200 - 51);
  // Partition 0 goes on; partition 1 stays quiet past the idleness: it no
  // longer holds the watermark back.
  p.send(t, "a", 0, std::nullopt, 15000);
  p.flush();
  for (kt::patience wait; wait && rec.watermarks.back() != 15000 - 51;) d.poll(100);
  CHECK(rec.watermarks.back() == 15000 - 51);
  // Partition 1 comes back, behind: the watermark never goes backwards.
  p.send(t, "b", 1, std::nullopt, 10300);
  p.flush();
  for (kt::patience wait; wait && rec.values.size() < 10;) d.poll(100);
  CHECK(rec.values.size() == 10);
  CHECK(std::is_sorted(rec.watermarks.begin(), rec.watermarks.end()));
}

TEST_CASE("event time in a parallel context: workers without partitions do not stall the windows", "[kafka]") {
  auto t = kt::new_topic("wm-par", 2);
  {
    kt::producer p;
    // 3 seconds of event time in each partition, keys a and b.
    for (int i = 0; i < 30; ++i) {
      p.send(t, "a", 0, std::nullopt, 100000 + i * 100);
      p.send(t, "b", 1, std::nullopt, 100000 + i * 100);
    }
    p.flush();
  }
  std::mutex m;
  std::vector<std::int64_t> fired;  // window starts
  using namespace std::chrono_literals;
  spate::context ctx{spate::continuous{}, spate::parallelism{4}};  // 4 workers, 2 partitions: two read nothing
  ctx.add(kafka::source(kt::cfg(), {t}, kafka::with_metadata(string_schema{}))
              .with_event_time(0ms)
              .with_idleness(200ms)
          | spate::key_by([](const kafka::kafka_message<std::string>& r) { return r.value; })
          | spate::window(spate::tumbling(1s), [](const kafka::kafka_message<std::string>& r) { return *r.timestamp; })
          | spate::count()
          | spate::for_each([&](const auto& w) {
              std::lock_guard<std::mutex> lock(m);
              fired.push_back(spate::to_millis(w.start));
            }));
  ctx.start();
  // While the job runs (no end of input to flush the windows): the first two
  // seconds of each key fire; the last second waits for later records.
  std::size_t n = 0;
  for (kt::patience wait; wait && n < 4;) {
    std::this_thread::sleep_for(50ms);
    std::lock_guard<std::mutex> lock(m);
    n = fired.size();
  }
  ctx.stop();
  ctx.await_termination();
  std::lock_guard<std::mutex> lock(m);
  CHECK(n >= 4);
  CHECK(std::count(fired.begin(), fired.end(), 100000) == 2);
  CHECK(std::count(fired.begin(), fired.end(), 101000) == 2);
}
