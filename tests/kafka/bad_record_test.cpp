// Records that do not deserialize: fail, skip, or a dead letter (dead_letter.hpp).
#include "source_support.hpp"

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
