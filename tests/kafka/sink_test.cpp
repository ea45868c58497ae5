// The Kafka sink against the real broker: the shared producer, partitioning,
// topic per record, and the three delivery guarantees.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <exception>
#include <set>
#include <thread>
#include <spate/exec.hpp>
#include <spate/spate.hpp>
#include <spate/serde/key_value.hpp>
#include <spate/serde/string_schema.hpp>

#include "kafka_support.hpp"

namespace kafka = spate::kafka;
using spate::serde::string_schema;

namespace {
template <class Sink, class Env = spate::rolling_env>
auto build_sink(const Sink& s) {
  Env env;
  return s.template build<spate::flow<std::string>>(env, spate::stage_label{Sink::name, 1});
}
std::multiset<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

// Kafka's Java default partitioner for keyed records: murmur2 of the key
// bytes (seed 0x9747b28c), made positive, modulo the partition count.
std::int32_t java_murmur2(const std::string& d) {
  const std::uint32_t m = 0x5bd1e995;
  const auto len = static_cast<std::uint32_t>(d.size());
  std::uint32_t h = 0x9747b28cu ^ len;
  auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(d[i])); };
  for (std::size_t i = 0; i + 4 <= len; i += 4) {
    std::uint32_t k = byte(i) | byte(i + 1) << 8 | byte(i + 2) << 16 | byte(i + 3) << 24;
    k *= m;
    k ^= k >> 24;
    k *= m;
    h *= m;
    h ^= k;
  }
  const std::size_t tail = len & ~3u;
  switch (len % 4) {
    case 3: h ^= byte(tail + 2) << 16; [[fallthrough]];
    case 2: h ^= byte(tail + 1) << 8; [[fallthrough]];
    case 1: h ^= byte(tail); h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<std::int32_t>(h);
}
std::int32_t java_partition(const std::string& key, std::int32_t n) {
  return (java_murmur2(key) & 0x7fffffff) % n;
}
}  // namespace

TEST_CASE("one producer per process, shared by every sink with the same configuration", "[kafka]") {
  auto t = kt::new_topic("shared", 1);
  auto cfg = kt::cfg();
  auto before = kafka::shared_producer::created_count().load();
  {
    auto a = build_sink(kafka::sink(cfg, t));
    auto b = build_sink(kafka::sink(cfg, t));
    CHECK(kafka::shared_producer::created_count().load() == before + 1);
    for (int i = 0; i < 1000; ++i) {
      a.push(std::string("a"));
      b.push(std::string("b"));
    }
    a.on_end();
    b.on_end();
  }
  CHECK(kt::read_all(t).size() == 2000);
}

TEST_CASE("at_least_once: every record is delivered at each batch end", "[kafka]") {
  auto t = kt::new_topic("alo", 2);
  auto s = build_sink(kafka::sink(kt::cfg(), t).delivery_guarantee(kafka::delivery::at_least_once));
  for (int i = 0; i < 500; ++i) s.push(std::to_string(i));
  s.on_batch_end(spate::batch_info{});
  // Without any further flush, everything is on the broker now.
  auto got = kt::values(kt::read_all(t));
  CHECK(got.size() == 500);
  s.on_end();
}

TEST_CASE("delivery none: fire and forget, flushed at the end", "[kafka]") {
  auto t = kt::new_topic("none", 1);
  std::vector<std::string> in{"a", "b", "c"};
  spate::run(spate::from_collection(in) | kafka::sink(kt::cfg(), t).delivery_guarantee(kafka::delivery::none));
  CHECK(as_set(kt::values(kt::read_all(t))) == as_set(in));
}

TEST_CASE("keys, key hash partitioning, user partitioner, topic per record", "[kafka]") {
  auto cfg = kt::cfg();
  SECTION("key/value records: the same key always lands in the same partition") {
    auto t = kt::new_topic("keyed", 4);
    using kv = spate::serde::key_value<string_schema, string_schema>;
    std::vector<std::pair<std::string, std::string>> in;
    for (int i = 0; i < 200; ++i) in.emplace_back("key" + std::to_string(i % 10), std::to_string(i));
    spate::run(spate::from_collection(in) | kafka::sink(cfg, t, kv{}));
    auto got = kt::read_all(t);
    REQUIRE(got.size() == 200);
    std::map<std::string, std::set<int>> parts;
    for (auto& m : got) parts[*m.key].insert(m.partition);
    CHECK(parts.size() == 10);
    for (auto& [k, ps] : parts) CHECK(ps.size() == 1);
    // ...and where a Java producer (or Flink) would put it, so topics stay co-partitioned.
    REQUIRE(java_murmur2("21") == -973932308);  // vectors from Kafka's own tests
    REQUIRE(java_murmur2("foobar") == -790332482);
    for (auto& [k, ps] : parts) CHECK(*ps.begin() == java_partition(k, 4));
  }
  SECTION("partition_by and topic_by") {
    auto a = kt::new_topic("to-a", 3), b = kt::new_topic("to-b", 1);
    std::vector<std::string> in{"a0", "a1", "a2", "a4", "b7"};
    // [doc:partition_topic]
    auto out = kafka::sink(cfg, "")
                   .topic_by([&](const std::string& r) { return r[0] == 'a' ? a : b; })
                   .partition_by([](const std::string& r, std::int32_t n) { return (r[1] - '0') % n; });
    // [end]
    spate::run(spate::from_collection(in) | out);
    auto ga = kt::read_all(a);
    REQUIRE(ga.size() == 4);
    for (auto& m : ga) CHECK(m.partition == (m.value[1] - '0') % 3);
    CHECK(kt::values(kt::read_all(b)) == std::vector<std::string>{"b7"});
  }
}

TEST_CASE("exactly_once: read_committed sees no record of an aborted or lingering transaction", "[kafka]") {
  auto t = kt::new_topic("eos", 2);
  auto cfg = kt::cfg();
  const std::string prefix = kt::topic("txn");
  {  // A crashed earlier run: a transaction left open by transactional.id prefix-0.
    char err[256];
    rd_kafka_conf_t* c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "bootstrap.servers", cfg.bootstrap.c_str(), err, sizeof err);
    rd_kafka_conf_set(c, "transactional.id", (prefix + "-0").c_str(), err, sizeof err);
    rd_kafka_conf_set(c, "transaction.timeout.ms", "60000", err, sizeof err);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
    REQUIRE(rd_kafka_init_transactions(rk, 30000) == nullptr);
    REQUIRE(rd_kafka_begin_transaction(rk) == nullptr);
    std::string v = "lingering";
    REQUIRE(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(t.c_str()), RD_KAFKA_V_VALUE(v.data(), v.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) == 0);
    rd_kafka_flush(rk, 10000);
    rd_kafka_destroy(rk);  // no commit, no abort: the broker keeps it open for 60 s
  }
  // [doc:exactly_once]
  auto out = kafka::sink(cfg, t)
                 .delivery_guarantee(kafka::delivery::exactly_once)
                 .transactional_id_prefix(prefix)  // ids prefix-0, prefix-1, ... stable across restarts
                 .transaction_timeout(std::chrono::seconds(30));
  // [end]
  {
    auto s = build_sink(out);  // init_transactions: fences prefix-0's old producer, aborts its transaction
    CHECK(s.transactional_id() == prefix + "-0");
    {
      auto s2 = build_sink(out);  // a second worker
      CHECK(s2.transactional_id() == prefix + "-1");
      s2.push(std::string("w2"));
      s2.on_end();
    }
    s.push(std::string("a"));
    s.push(std::string("b"));
    s.on_batch_end(spate::batch_info{});  // commit
    s.push(std::string("c"));
    s.push(std::string("d"));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // c and d reach the broker (linger)
    // the job fails here: the sink goes without a commit point, its transaction is aborted
  }
  {
    auto s = build_sink(out);
    CHECK(s.transactional_id() == prefix + "-0");
    s.push(std::string("e"));
    s.on_end();
    CHECK(s.transactions() == 1);
  }
  auto committed = kt::values(kt::read_all(t, true));
  CHECK(as_set(committed) == as_set({"a", "b", "w2", "e"}));
  auto everything = kt::values(kt::read_all(t, false));
  CHECK(as_set(everything) == as_set({"lingering", "a", "b", "c", "d", "w2", "e"}));
  // The source reads committed data (librdkafka's default isolation level, set here explicitly):
  auto rc = kt::cfg();
  rc.set("isolation.level", "read_committed");
  std::vector<std::string> via_source;
  spate::run(kafka::source(rc, {t}).until_offsets_end() | spate::collect_into(via_source));
  CHECK(as_set(via_source) == as_set({"a", "b", "w2", "e"}));
}

TEST_CASE("exactly_once: a transaction timeout above the broker's maximum is a clear error at start", "[kafka]") {
  auto t = kt::new_topic("eos-timeout", 1);
  auto out = kafka::sink(kt::cfg(), t)
                 .delivery_guarantee(kafka::delivery::exactly_once)
                 .transactional_id_prefix(kt::topic("txn"))
                 .transaction_timeout(std::chrono::hours(2));
  CHECK_THROWS_WITH(build_sink(out), Catch::Contains("transaction.max.timeout.ms"));
  CHECK_THROWS_WITH(build_sink(kafka::sink(kt::cfg(), t).delivery_guarantee(kafka::delivery::exactly_once)),
                    Catch::Contains("transactional_id_prefix"));
}

TEST_CASE("exactly_once through a pipeline: one transaction per batch", "[kafka]") {
  auto in = kt::new_topic("eos-in", 2), out = kt::new_topic("eos-out", 2);
  {
    kt::producer p;
    for (int i = 0; i < 1000; ++i) p.send(in, std::to_string(i));
    p.flush();
  }
  auto cfg = kt::cfg();
  spate::run_batch(kafka::source(cfg, {in}).until_offsets_end() |
                   spate::map([](const std::string& s) { return s + "!"; }) |
                   kafka::sink(cfg, out).delivery_guarantee(kafka::delivery::exactly_once).transactional_id_prefix(kt::topic("p")));
  auto got = kt::values(kt::read_all(out, true));
  CHECK(got.size() == 1000);
  CHECK(std::all_of(got.begin(), got.end(), [](const std::string& s) { return s.back() == '!'; }));
}

TEST_CASE("a micro-batch context with two workers: partitions spread, a transaction per batch", "[kafka]") {
  auto in = kt::new_topic("ctx-in", 4), out = kt::new_topic("ctx-out", 2);
  std::multiset<std::string> expected;
  {
    kt::producer p;
    for (int i = 0; i < 2000; ++i) {
      p.send(in, std::to_string(i), i % 4);
      expected.insert(std::to_string(i) + "!");
    }
    p.flush();
  }
  auto cfg = kt::cfg();
  using namespace std::chrono_literals;
  // [doc:context]
  spate::context ctx{spate::micro_batch{200ms}, spate::parallelism{2}};
  ctx.add(kafka::source(cfg, {in}).until_offsets_end().max_rate_per_partition(200)
          | spate::map([](const std::string& s) { return s + "!"; })
          | kafka::sink(cfg, out)
                .delivery_guarantee(kafka::delivery::exactly_once)
                .transactional_id_prefix(kt::topic("ctx")));
  ctx.start();
  ctx.await_termination();
  // [end]
  CHECK(ctx.batches().size() > 1);
  auto got = kt::values(kt::read_all(out, true));
  CHECK(std::multiset<std::string>(got.begin(), got.end()) == expected);
}

namespace {
// Reads `topic` with read_committed until it holds `n` records or `timeout` passes.
std::vector<std::string> committed_when(const std::string& topic, std::size_t n, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<std::string> got;
  do {
    got = kt::values(kt::read_all(topic, true));
    if (got.size() >= n) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  return got;
}
}  // namespace

TEST_CASE("exactly_once under the continuous executor: a transaction per commit interval while the job runs", "[kafka]") {
  auto in = kt::new_topic("eos-cont-in", 2), out = kt::new_topic("eos-cont-out", 2);
  auto cfg = kt::cfg();
  std::multiset<std::string> expected;
  kt::producer p;
  for (int i = 0; i < 300; ++i) {
    p.send(in, std::to_string(i));
    expected.insert(std::to_string(i));
  }
  p.flush();
  using namespace std::chrono_literals;
  spate::context ctx{spate::continuous{}, spate::parallelism{2}};
  // [doc:commit_interval]
  ctx.add(kafka::source(cfg, {in})  // unbounded: no batch ends, no end of input
          | kafka::sink(cfg, out)
                .delivery_guarantee(kafka::delivery::exactly_once)
                .transactional_id_prefix(kt::topic("cont"))
                .commit_interval(200ms));  // committed at least every 200 ms
  // [end]
  ctx.start();
  // Readers see the output while the job runs, first with records flowing...
  auto first = committed_when(out, 300, 30s);
  CHECK(std::multiset<std::string>(first.begin(), first.end()) == expected);
  // ...then after a quiet spell: the ticks commit what a slow trickle left open.
  std::this_thread::sleep_for(1500ms);
  p.send(in, "late");
  p.flush();
  expected.insert("late");
  auto second = committed_when(out, 301, 30s);
  CHECK(std::multiset<std::string>(second.begin(), second.end()) == expected);
  ctx.stop();
  ctx.await_termination();
  auto all = kt::values(kt::read_all(out, true));
  CHECK(std::multiset<std::string>(all.begin(), all.end()) == expected);  // each once
}

TEST_CASE("exactly_once under spate::run: the source ticks while the topic is quiet", "[kafka]") {
  auto in = kt::new_topic("eos-run-in", 1), out = kt::new_topic("eos-run-out", 1);
  auto cfg = kt::cfg();
  {
    kt::producer p;
    for (int i = 0; i < 50; ++i) p.send(in, std::to_string(i));
    p.flush();
  }
  std::atomic<bool> stop{false};
  std::exception_ptr failure;
  std::thread job([&] {
    try {
      spate::run(kafka::source(cfg, {in}).stop_when(stop) |
                 kafka::sink(cfg, out)
                     .delivery_guarantee(kafka::delivery::exactly_once)
                     .transactional_id_prefix(kt::topic("run"))
                     .commit_interval(std::chrono::milliseconds(300)));
    } catch (...) {
      failure = std::current_exception();
    }
  });
  // No record comes after the 50th: only the ticks of the quiet source can commit them.
  auto got = committed_when(out, 50, std::chrono::seconds(30));
  stop = true;
  job.join();
  if (failure) std::rethrow_exception(failure);
  CHECK(got.size() == 50);
}

TEST_CASE("exactly_once: a commit interval not below the transaction timeout is refused at start", "[kafka]") {
  auto t = kt::new_topic("eos-interval", 1);
  auto out = kafka::sink(kt::cfg(), t)
                 .delivery_guarantee(kafka::delivery::exactly_once)
                 .transactional_id_prefix(kt::topic("txn"))
                 .transaction_timeout(std::chrono::seconds(10))
                 .commit_interval(std::chrono::seconds(10));
  CHECK_THROWS_WITH(build_sink(out), Catch::Contains("commit interval (10000 ms)") &&
                                         Catch::Contains("transaction timeout (10000 ms)"));
}

TEST_CASE("exactly_once: the interval commits under continuous execution only, micro-batches commit per batch", "[kafka]") {
  auto t = kt::new_topic("eos-modes", 1);
  auto out = kafka::sink(kt::cfg(), t)
                 .delivery_guarantee(kafka::delivery::exactly_once)
                 .transactional_id_prefix(kt::topic("modes"))
                 .commit_interval(std::chrono::milliseconds(100));
  const auto now = spate::event_time{};
  {
    auto s = build_sink(out);  // continuous (rolling) mode
    s.push(std::string("a"));
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    s.on_tick(now);
    CHECK(s.transactions() == 1);  // due: committed by the tick
    s.on_end();
  }
  {
    auto s = build_sink<decltype(out), spate::compacted_env>(out);  // micro-batch mode
    s.push(std::string("b"));
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    s.on_tick(now);
    s.push(std::string("c"));
    CHECK(s.transactions() == 0);  // the batch is the transaction, whatever the interval
    s.on_batch_end(spate::batch_info{});
    CHECK(s.transactions() == 1);
    s.on_end();
  }
  CHECK(as_set(kt::values(kt::read_all(t, true))) == as_set({"a", "b", "c"}));
}
