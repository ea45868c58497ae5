// The Kafka source against the real broker: start positions, bounded mode,
// offsets, sharding, discovery, rate limit, event time, bad records.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>
#include <unistd.h>
#include <spate/exec.hpp>
#include <spate/spate.hpp>
#include <spate/serde/binary.hpp>
#include <spate/serde/json.hpp>
#include <spate/serde/key_value.hpp>
#include <spate/serde/string_schema.hpp>

#include "kafka_support.hpp"

namespace kafka = spate::kafka;
using spate::serde::string_schema;

namespace {

// A sink that records values and watermarks, for driving sources by hand.
template <class T>
struct recorder {
  std::vector<T> values;
  std::vector<std::int64_t> watermarks;
  bool ended = false;
  bool push(const T& v) {
    values.push_back(v);
    return true;
  }
  void on_watermark(spate::event_time t) { watermarks.push_back(spate::to_millis(t)); }
  void on_barrier(spate::checkpoint_id) {}
  void on_batch_end(const spate::batch_info&) {}
  void on_tick(spate::event_time) {}
  void on_end() { ended = true; }
};

template <class Src>
std::vector<typename Src::value_type> read_bounded(const Src& src) {
  std::vector<typename Src::value_type> out;
  spate::run(src.until_offsets_end() | spate::collect_into(out));
  return out;
}

// Captures what is written to stderr (fd 2, where librdkafka logs) until finish().
class stderr_capture {
 public:
  stderr_capture() : file_(std::tmpfile()), saved_(::dup(2)) {
    REQUIRE(file_);
    REQUIRE(saved_ >= 0);
    std::fflush(stderr);
    ::dup2(::fileno(file_), 2);
  }
  ~stderr_capture() { finish(); }
  std::string finish() {
    if (saved_ < 0) return text_;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
    std::rewind(file_);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, file_)) > 0;) text_.append(buf, n);
    std::fclose(file_);
    std::fputs(text_.c_str(), stderr);  // still shown in the test's output
    return text_;
  }

 private:
  std::FILE* file_;
  int saved_;
  std::string text_;
};

// Ten records with timestamps 1000..1009 in one partition.
std::string ten_records() {
  auto t = kt::new_topic("start", 1);
  kt::producer p;
  for (int i = 0; i < 10; ++i) p.send(t, "v" + std::to_string(i), 0, std::nullopt, 1000 + i);
  p.flush();
  return t;
}

}  // namespace

TEST_CASE("consume, transform, produce: the output is exactly the input, upper-cased", "[kafka]") {
  auto in = kt::new_topic("in", 3), out = kt::new_topic("out", 2);
  std::multiset<std::string> expected;
  {
    kt::producer p;
    for (int i = 0; i < 3000; ++i) {
      p.send(in, "record-" + std::to_string(i), RD_KAFKA_PARTITION_UA, "k" + std::to_string(i % 17));
      expected.insert("RECORD-" + std::to_string(i));
    }
    p.flush();
  }
  // [doc:pipeline]
  kafka::config cfg(kt::cfg().bootstrap);
  auto job = kafka::source(cfg, {in}, kafka::string_values()).until_offsets_end()
           | spate::map([](std::string s) {
               for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
               return s;
             })
           | kafka::sink(cfg, out).delivery_guarantee(kafka::delivery::at_least_once);
  spate::run(job);
  // [end]
  auto got = kt::values(kt::read_all(out));
  CHECK(got.size() == expected.size());
  CHECK(std::multiset<std::string>(got.begin(), got.end()) == expected);
}

TEST_CASE("start positions", "[kafka]") {
  auto t = ten_records();
  auto cfg = kt::cfg();
  auto src = kafka::source(cfg, {t});

  SECTION("earliest (default)") { CHECK(read_bounded(src).size() == 10); }
  SECTION("latest, bounded: nothing") { CHECK(read_bounded(src.start_from(kafka::latest())).empty()); }
  SECTION("timestamp") {
    // [doc:start_timestamp]
    auto from_ts = kafka::source(cfg, {t}).start_from(kafka::from_timestamp(1005));
    // [end]
    CHECK(read_bounded(from_ts) == std::vector<std::string>{"v5", "v6", "v7", "v8", "v9"});
    CHECK(read_bounded(src.start_from(kafka::from_timestamp(99999))).empty());
  }
  SECTION("specific offsets") {
    // [doc:start_offsets]
    auto from_7 = kafka::source(cfg, {t}).start_from(kafka::from_offsets({{{t, 0}, 7}}));
    // [end]
    CHECK(read_bounded(from_7) == std::vector<std::string>{"v7", "v8", "v9"});
  }
  SECTION("committed group offsets, with a fallback") {
    std::string group = kt::topic("group");
    auto gcfg = cfg;
    gcfg.set("group.id", group);
    CHECK(read_bounded(kafka::source(gcfg, {t}).start_from(kafka::committed(kafka::earliest()))).size() == 10);
    CHECK(read_bounded(kafka::source(gcfg, {t}).start_from(kafka::committed(kafka::latest()))).empty());
    {  // commit offset 4 for the group with a plain consumer
      char err[256];
      rd_kafka_conf_t* c = rd_kafka_conf_new();
      rd_kafka_conf_set(c, "bootstrap.servers", cfg.bootstrap.c_str(), err, sizeof err);
      rd_kafka_conf_set(c, "group.id", group.c_str(), err, sizeof err);
      rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
      auto* l = rd_kafka_topic_partition_list_new(1);
      rd_kafka_topic_partition_list_add(l, t.c_str(), 0)->offset = 4;
      REQUIRE(rd_kafka_commit(rk, l, 0) == RD_KAFKA_RESP_ERR_NO_ERROR);
      rd_kafka_topic_partition_list_destroy(l);
      rd_kafka_consumer_close(rk);
      rd_kafka_destroy(rk);
    }
    // [doc:start_committed]
    auto resumed = kafka::source(gcfg, {t}).start_from(kafka::committed(kafka::earliest()));
    // [end]
    CHECK(read_bounded(resumed) == std::vector<std::string>{"v4", "v5", "v6", "v7", "v8", "v9"});
    CHECK_THROWS_WITH(read_bounded(kafka::source(cfg, {t}).start_from(kafka::committed())),
                      Catch::Contains("group.id"));
  }
  SECTION("latest, unbounded: only records produced after the start") {
    recorder<std::string> rec;
    auto d = src.start_from(kafka::latest()).open(rec, spate::shard{}, rec);
    CHECK(d.poll(100).status == spate::poll_status::idle);
    kt::producer p;
    p.send(t, "new1", 0);
    p.send(t, "new2", 0);
    p.flush();
    for (kt::patience wait; wait && rec.values.size() < 2;) d.poll(100);
    CHECK(rec.values == std::vector<std::string>{"new1", "new2"});
    CHECK(d.offsets() == std::vector<kafka::partition_offset>{{t, 0, 12}});
  }
}

TEST_CASE("offsets(): the driver tracks each partition, a restart continues from them", "[kafka]") {
  auto t = ten_records();
  auto cfg = kt::cfg();
  recorder<std::string> rec;
  // [doc:offsets]
  auto src = kafka::source(cfg, {t});
  auto d = src.open(rec, spate::shard{}, rec);
  while (rec.values.size() < 6) d.poll(6 - rec.values.size());  // read some
  std::vector<kafka::partition_offset> checkpoint = d.offsets();  // store with the checkpoint
  // ... later, after a failure:
  auto restored = src.start_from(kafka::from_offsets(kafka::to_offset_map(checkpoint)));
  // [end]
  CHECK(checkpoint == std::vector<kafka::partition_offset>{{t, 0, 6}});
  CHECK(read_bounded(restored) == std::vector<std::string>{"v6", "v7", "v8", "v9"});
}

TEST_CASE("clear errors: missing topic, unreachable broker", "[kafka]") {
  auto cfg = kt::cfg();
  CHECK_THROWS_WITH(read_bounded(kafka::source(cfg, {kt::topic("missing")})), Catch::Contains("does not exist"));
  kafka::config nowhere("127.0.0.1:1");
  nowhere.timeout = std::chrono::milliseconds(1500);
  auto t0 = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(read_bounded(kafka::source(nowhere, {"x"})), Catch::Contains("cannot reach the Kafka cluster"));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
  std::vector<std::string> sink_in{"a"};
  CHECK_THROWS_WITH(spate::run(spate::from_collection(sink_in) | kafka::sink(cfg, kt::topic("missing"))),
                    Catch::Contains("does not exist"));
  t0 = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(spate::run(spate::from_collection(sink_in) | kafka::sink(nowhere, "x")),
                    Catch::Contains("cannot reach the Kafka cluster"));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
}

TEST_CASE("bad records: fail, skip, dead letter", "[kafka]") {
  auto t = kt::new_topic("bad", 1);
  {
    kt::producer p;
    p.send(t, "1", 0);
    p.send(t, "oops", 0, std::string("the-key"));
    p.send(t, "3", 0);
    p.flush();
  }
  auto cfg = kt::cfg();
  auto src = kafka::source(cfg, {t}, spate::serde::json<int>{});
  SECTION("fail (default) names topic, partition and offset") {
    CHECK_THROWS_WITH(read_bounded(src), Catch::Contains(t + "/0 offset 1"));
  }
  SECTION("after a failure the offsets point at the bad record, not past it") {
    recorder<int> rec;
    auto d = src.until_offsets_end().open(rec, spate::shard{}, rec);
    bool failed = false;
    for (kt::patience wait; wait && !failed;) {
      try {
        d.poll(100);
      } catch (const kafka::kafka_error&) {
        failed = true;
      }
    }
    REQUIRE(failed);
    CHECK(rec.values == std::vector<int>{1});
    CHECK(d.offsets() == std::vector<kafka::partition_offset>{{t, 0, 1}});  // a restart reads it again
  }
  SECTION("a dead-letter topic that does not exist: a clear error when the source opens") {
    auto s = src.on_bad_record(kafka::dead_letter(kt::topic("no-such-dlq")));
    recorder<int> rec;
    CHECK_THROWS_WITH(s.open(rec, spate::shard{}, rec), Catch::Contains("no-such-dlq"));  // before any record
  }
  SECTION("skip and count") {
    auto s = src.on_bad_record(kafka::skip());
    CHECK(read_bounded(s) == std::vector<int>{1, 3});
    CHECK(s.metrics().bad_records == 1);
  }
  SECTION("dead letter") {
    auto dlq = kt::new_topic("dlq", 1);
    // [doc:dead_letter]
    auto s = kafka::source(cfg, {t}, spate::serde::json<int>{}).on_bad_record(kafka::dead_letter(dlq));
    // [end]
    CHECK(read_bounded(s) == std::vector<int>{1, 3});
    CHECK(s.metrics().dead_lettered == 1);
    auto dead = kt::read_all(dlq);
    REQUIRE(dead.size() == 1);
    CHECK(dead[0].value == "oops");
    CHECK(dead[0].key == std::optional<std::string>("the-key"));
    CHECK(dead[0].headers["spate.topic"] == t);
    CHECK(dead[0].headers["spate.offset"] == "1");
    CHECK_THAT(dead[0].headers["spate.error"], Catch::Contains("json<int>"));
  }
}

TEST_CASE("partitions are spread over the workers of a parallel context", "[kafka]") {
  auto t = kt::new_topic("shards", 4);
  {
    kt::producer p;
    for (int i = 0; i < 400; ++i) p.send(t, std::to_string(i), i % 4);
    p.flush();
  }
  auto src = kafka::source(kt::cfg(), {t}).until_offsets_end();
  std::set<std::string> all;
  std::size_t total = 0;
  for (std::size_t w = 0; w < 3; ++w) {
    recorder<std::string> rec;
    auto d = src.open(rec, spate::shard{w, 3}, rec);
    d.drain();
    CHECK(rec.ended);
    for (auto& o : d.offsets()) CHECK(kafka::detail::worker_of(t, o.partition, 3) == w);
    total += rec.values.size();
    all.insert(rec.values.begin(), rec.values.end());
  }
  CHECK(total == 400);
  CHECK(all.size() == 400);
}

TEST_CASE("partition discovery picks up partitions added while running", "[kafka]") {
  auto t = kt::new_topic("discover", 1);
  kt::producer p;
  p.send(t, "p0-a", 0);
  p.flush();
  recorder<std::string> rec;
  // [doc:discovery]
  auto src = kafka::source(kt::cfg(), {t}).discover_partitions(std::chrono::milliseconds(200));
  // [end]
  auto d = src.open(rec, spate::shard{}, rec);
  for (kt::patience wait; wait && rec.values.empty();) d.poll(100);
  kafka::admin(kt::cfg()).create_partitions(t, 3);  // rd_kafka_CreatePartitions
  kt::producer p2;                                   // metadata with 3 partitions
  p2.send(t, "p1-a", 1);
  p2.send(t, "p2-a", 2);
  p2.send(t, "p0-b", 0);
  p2.flush();
  for (kt::patience wait; wait && rec.values.size() < 4;) d.poll(100);
  std::set<std::string> got(rec.values.begin(), rec.values.end());
  CHECK(got == std::set<std::string>{"p0-a", "p0-b", "p1-a", "p2-a"});
  CHECK(src.metrics().partitions_discovered == 2);
  CHECK(d.offsets().size() == 3);
}

TEST_CASE("max_rate_per_partition bounds the intake", "[kafka]") {
  auto t = kt::new_topic("rate", 2);
  {
    kt::producer p;
    for (int i = 0; i < 300; ++i) p.send(t, std::to_string(i), i % 2);
    p.flush();
  }
  auto t0 = std::chrono::steady_clock::now();
  auto got = read_bounded(kafka::source(kt::cfg(), {t}).max_rate_per_partition(100));
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(got.size() == 300);
  std::set<std::string> distinct(got.begin(), got.end());
  CHECK(distinct.size() == 300);
  // 150 per partition at 100/s with a one-second bucket: at least ~0.5 s.
  CHECK(secs > 0.4);
}

TEST_CASE("bounded under read_committed: ends at the last stable offset, not behind an open transaction", "[kafka]") {
  auto t = kt::new_topic("lso", 1);
  {
    kt::producer p;
    for (int i = 0; i < 5; ++i) p.send(t, "c" + std::to_string(i), 0);
    p.flush();
  }
  // Another producer's transaction stays open for the whole test.
  char err[256];
  rd_kafka_conf_t* c = rd_kafka_conf_new();
  rd_kafka_conf_set(c, "bootstrap.servers", kt::cfg().bootstrap.c_str(), err, sizeof err);
  rd_kafka_conf_set(c, "transactional.id", kt::topic("open-txn").c_str(), err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
  REQUIRE(rd_kafka_init_transactions(rk, 30000) == nullptr);
  REQUIRE(rd_kafka_begin_transaction(rk) == nullptr);
  std::string v = "uncommitted";
  REQUIRE(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(t.c_str()), RD_KAFKA_V_VALUE(v.data(), v.size()),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) == 0);
  REQUIRE(rd_kafka_flush(rk, 10000) == 0);
  auto rc = kt::cfg();
  rc.set("isolation.level", "read_committed");
  auto t0 = std::chrono::steady_clock::now();
  auto got = read_bounded(kafka::source(rc, {t}));
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(got == std::vector<std::string>{"c0", "c1", "c2", "c3", "c4"});
  CHECK(secs < 10);  // did not wait for the transaction (it would take its timeout, 60 s)
  rd_kafka_error_destroy(rd_kafka_abort_transaction(rk, 10000));
  rd_kafka_destroy(rk);
}

TEST_CASE("bounded with a rate limit: records held when the bound is passed are still pushed", "[kafka]") {
  auto t = kt::new_topic("rate-bound", 1);
  kt::producer p;
  for (int i = 0; i < 300; ++i) p.send(t, std::to_string(i), 0);
  p.flush();
  recorder<std::string> rec;
  auto d = kafka::source(kt::cfg(), {t}).until_offsets_end().max_rate_per_partition(100).open(rec, spate::shard{}, rec);
  // The end (300) is fixed now; what comes after it arrives in the same fetches as the held records.
  for (int i = 300; i < 600; ++i) p.send(t, std::to_string(i), 0);
  p.flush();
  for (kt::patience wait; wait && !rec.ended;) d.poll(1000);
  REQUIRE(rec.ended);
  std::vector<std::string> expected;
  for (int i = 0; i < 300; ++i) expected.push_back(std::to_string(i));
  CHECK(rec.values == expected);
}

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
               .with_idleness(std::chrono::milliseconds(300))
               .open(rec, spate::shard{}, rec);
  for (kt::patience wait; wait && rec.values.size() < 8;) d.poll(1);  // one record at a time
  REQUIRE(rec.values.size() == 8);
  // Both partitions caught up and quiet: the watermark stands at the minimum,
  // whatever order the fetches interleaved in.
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

TEST_CASE("built-in deserializers: string, binary, key/value, JSON, with metadata", "[kafka]") {
  auto t = kt::new_topic("serde", 1);
  auto cfg = kt::cfg();
  using kv = spate::serde::key_value<string_schema, spate::serde::json<int>>;
  std::vector<std::pair<std::string, int>> in{{"a", 1}, {"b", 2}};
  spate::run(spate::from_collection(in) | kafka::sink(cfg, t, kv{}));
  auto pairs = read_bounded(kafka::source(cfg, {t}, kv{}));
  CHECK(pairs == in);
  auto msgs = read_bounded(kafka::source(cfg, {t}, kafka::with_metadata(spate::serde::json<int>{})));
  REQUIRE(msgs.size() == 2);
  CHECK(msgs[1].key == std::optional<std::string>("b"));
  CHECK(msgs[1].value == 2);
  CHECK(msgs[1].offset == 1);
  CHECK(msgs[1].topic == t);
  CHECK(msgs[1].timestamp.has_value());

  auto tb = kt::new_topic("binary", 1);
  std::vector<std::int64_t> nums{1, -2, 1LL << 40};
  spate::run(spate::from_collection(nums) | kafka::sink(cfg, tb, spate::serde::binary<std::int64_t>{}));
  CHECK(read_bounded(kafka::source(cfg, {tb}, spate::serde::binary<std::int64_t>{})) == nums);
}

TEST_CASE("topics by regex pattern", "[kafka]") {
  std::string base = kt::topic("pat");
  kafka::admin a(kt::cfg());
  a.create_topic(base + "-x", 1);
  a.create_topic(base + "-y", 2);
  a.create_topic(base + "-other", 1);
  kt::producer p;
  p.send(base + "-x", "x");
  p.send(base + "-y", "y");
  p.send(base + "-other", "no");
  p.flush();
  // [doc:pattern]
  auto src = kafka::source_pattern(kt::cfg(), base + "-[xy]");
  // [end]
  auto got = read_bounded(src);
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::string>{"x", "y"});
}

TEST_CASE("a topic pattern that matches no topic: bounded reads fail, unbounded ones warn and discover", "[kafka]") {
  const std::string base = kt::topic("nomatch");
  const std::string pattern = base + "-[xy]";
  kafka::admin(kt::cfg()).create_topic(base + "-other", 1);  // exists, does not match
  const std::string named = "the topic pattern '" + pattern + "' matches no topic";
  CHECK_THROWS_WITH(read_bounded(kafka::source_pattern(kt::cfg(), pattern)), Catch::Contains(named));
  {  // every worker of a parallel context fails the same way
    std::vector<std::string> out;
    spate::context ctx{spate::micro_batch{std::chrono::milliseconds(100)}, spate::parallelism{2}};
    ctx.add(kafka::source_pattern(kt::cfg(), pattern).until_offsets_end() | spate::collect_into(out));
    CHECK_THROWS_WITH((ctx.start(), ctx.await_termination()), Catch::Contains(named));
  }

  // Unbounded: a warning where librdkafka's warnings go (a level-4 log line
  // on stderr), and the source keeps running: a matching topic created later
  // is discovered and read.
  recorder<std::string> rec;
  auto src = kafka::source_pattern(kt::cfg(), pattern).discover_partitions(std::chrono::milliseconds(200));
  stderr_capture cap;
  auto d = src.open(rec, spate::shard{}, rec);
  const std::string warned = cap.finish();
  CHECK_THAT(warned, Catch::Contains("%4|") && Catch::Contains("|PATTERN|") && Catch::Contains(named) &&
                         Catch::Contains("discovery looks every 200 ms"));
  for (int i = 0; i < 5; ++i) CHECK(d.poll(100).status == spate::poll_status::idle);
  kafka::admin(kt::cfg()).create_topic(base + "-y", 2);
  kt::producer p;
  p.send(base + "-y", "y0", 0);
  p.send(base + "-y", "y1", 1);
  p.flush();
  for (kt::patience wait; wait && rec.values.size() < 2;) CHECK_FALSE(d.poll(100).finished());
  std::sort(rec.values.begin(), rec.values.end());
  CHECK(rec.values == std::vector<std::string>{"y0", "y1"});
  CHECK(src.metrics().partitions_discovered == 2);

  // Without discovery the warning says nothing will come; log_level below 4 silences it, as librdkafka's.
  {
    recorder<std::string> r2;
    stderr_capture c2;
    auto d2 = kafka::source_pattern(kt::cfg(), base + "-none").open(r2, spate::shard{}, r2);
    CHECK_THAT(c2.finish(), Catch::Contains("partition discovery is off"));
  }
  {
    recorder<std::string> r3;
    auto quiet = kt::cfg();
    quiet.set("log_level", "3");
    stderr_capture c3;
    auto d3 = kafka::source_pattern(quiet, base + "-none").open(r3, spate::shard{}, r3);
    CHECK_THAT(c3.finish(), !Catch::Contains("matches no topic"));
  }
}

TEST_CASE("stop_when: an unbounded source ends gracefully when the flag is set", "[kafka]") {
  auto t = ten_records();
  std::atomic<bool> stop{false};
  recorder<std::string> rec;
  auto d = kafka::source(kt::cfg(), {t}).stop_when(stop).open(rec, spate::shard{}, rec);
  for (kt::patience wait; wait && rec.values.size() < 10;) CHECK(!d.poll(100).finished());
  CHECK(rec.values.size() == 10);
  stop = true;
  CHECK(d.poll(100).status == spate::poll_status::ended);
  CHECK(rec.ended);
}
