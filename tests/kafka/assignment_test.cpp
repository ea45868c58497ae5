// Which partitions a source reads (assignment.hpp): spread over workers,
// discovered while running, matched by a topic pattern.
#include "source_support.hpp"

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
