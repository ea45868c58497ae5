// max_rate_per_partition (rate_limit.hpp): the intake is bounded, and records
// held for the rate are still pushed when the bound is passed.
#include "source_support.hpp"

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
