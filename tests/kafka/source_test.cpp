// The Kafka source against the real broker: start positions, bounded mode,
// offsets, errors, deserializers, a graceful stop. Assignment, rate limit,
// event time and bad records have files of their own (*_test.cpp here).
#include "source_support.hpp"

namespace {

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
