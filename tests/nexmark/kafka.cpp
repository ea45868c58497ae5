// The Nexmark events through a real Kafka broker as JSON (kafka_events.hpp):
// what the generator writes reads back as the same events, the queries over
// the Kafka table equal the queries over the generator, and records that are
// not Nexmark events are errors that say what is wrong.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "../kafka/kafka_support.hpp"
#include "fixture.hpp"
#include "kafka_events.hpp"
#include "queries_stateless.hpp"
#include "queries_window.hpp"

namespace {
using nexmark_test::gen;
using nexmark_test::n_events;

std::vector<std::string> sorted_json(const std::vector<nexmark::event>& events) {
  std::vector<std::string> out;
  spate::serde::json<nexmark::kafka_event> codec;
  for (const auto& e : events) {
    std::string s;
    codec.serialize(nexmark::to_kafka_event_fn{}(e), s);
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end());
  return out;
}
std::vector<nexmark::event> generated(std::uint64_t n) {
  std::vector<nexmark::event> v;
  for (std::uint64_t i = 0; i < n; ++i) v.push_back(gen()(i));
  return v;
}
}  // namespace

TEST_CASE("nexmark into Kafka: the events written at parallelism 2 read back as the same events", "[kafka]") {
  const auto t = kt::new_topic("nexmark-events", 2);
  nexmark::write_to_kafka(gen(), n_events, kt::cfg(), t, 2);
  const auto raw = kt::read_all(t);
  REQUIRE(raw.size() == n_events);
  CHECK_THAT(raw.front().value, Catch::StartsWith("{\"event_type\":"));

  std::vector<nexmark::event> back;
  spate::run(nexmark::kafka_events(kt::cfg(), t) | spate::collect_into(back));
  REQUIRE(back.size() == n_events);
  CHECK(sorted_json(back) == sorted_json(generated(n_events)));
}

TEST_CASE("nexmark into Kafka: queries over the Kafka table equal the queries over the generator", "[kafka]") {
  const auto t = kt::new_topic("nexmark-table", 1);
  nexmark::write_to_kafka(gen(), n_events, kt::cfg(), t);  // one partition, in sequence order
  const auto cfg = kt::cfg();

  std::vector<nexmark::q2_row> q2_kafka, q2_gen;
  spate::run(nexmark::q2(nexmark::kafka_bids(cfg, t)) | spate::collect_into(q2_kafka));
  spate::run(nexmark::q2(nexmark::bids(gen(), n_events)) | spate::collect_into(q2_gen));
  REQUIRE_FALSE(q2_gen.empty());
  CHECK(ref::texts(q2_kafka) == ref::texts(q2_gen));

  // event time: q5's sliding windows and q8's window co-group of two views
  std::vector<nexmark::q5_row> q5_kafka, q5_gen;
  spate::run(nexmark::q5(nexmark::kafka_bids(cfg, t)) | spate::collect_into(q5_kafka));
  spate::run(nexmark::q5(nexmark::bids(gen(), n_events)) | spate::collect_into(q5_gen));
  REQUIRE_FALSE(q5_gen.empty());
  CHECK(ref::texts(q5_kafka) == ref::texts(q5_gen));

  std::vector<nexmark::q8_row> q8_kafka, q8_gen;
  spate::run(nexmark::q8(nexmark::kafka_persons(cfg, t), nexmark::kafka_auctions(cfg, t)) |
             spate::collect_into(q8_kafka));
  spate::run(nexmark::q8(nexmark::persons(gen(), n_events), nexmark::auctions(gen(), n_events)) |
             spate::collect_into(q8_gen));
  REQUIRE_FALSE(q8_gen.empty());
  CHECK(ref::texts(q8_kafka) == ref::texts(q8_gen));
}

TEST_CASE("nexmark from Kafka: a record that is not a Nexmark event is an error that says why", "[kafka]") {
  std::string a_bid;
  spate::serde::json<nexmark::bid>{}.serialize(*gen().bid_at(5), a_bid);
  struct bad_case {
    std::string value, message;
  };
  for (const auto& c : {bad_case{"{\"event_type\":2}", "event_type 2 has no person, auction or bid"},
                        bad_case{"{\"event_type\":0,\"bid\":" + a_bid + "}", "event_type 0 has no person"},
                        bad_case{"{\"event_type\":7,\"bid\":" + a_bid + "}", "event_type 7 is not 0 (person)"},
                        bad_case{"{\"event_type\":2,\"bid\":{\"auction\":\"x\"}}", "auction"}}) {
    CAPTURE(c.value);
    const auto t = kt::new_topic("nexmark-bad", 1);
    {
      kt::producer p;
      p.send(t, c.value, 0);
      p.flush();
    }
    std::vector<nexmark::event> got;
    CHECK_THROWS_WITH(spate::run(nexmark::kafka_events(kt::cfg(), t) | spate::collect_into(got)),
                      Catch::Contains(c.message));
    CHECK(got.empty());
  }
}
