// A fan_out's keyed branch run behind its own shuffle (parallelism > 1)
// reports its stages under the branch's name and positions; the job's own
// stages count only what they took in.
#include <catch2/catch.hpp>

#include <spate/spate.hpp>

#include <cstdint>
#include <map>
#include <vector>

TEST_CASE("metrics: a fan_out's keyed branch meters its own stages, not the job's") {
  std::vector<int> xs;
  for (int i = 0; i < 600; ++i) xs.push_back(i);
  long sum = 0;
  std::map<int, std::int64_t> counts;
  spate::context ctx{spate::continuous{}, spate::parallelism{2}};
  // Three stages before the fan_out: the branch's count (its position 3)
  // and sink (4) share positions with the job's third map and fan_out.
  ctx.add(spate::from_collection(xs) | spate::map([](int x) { return x + 1; }) | spate::map([](int x) { return x + 1; }) |
          spate::map([](int x) { return x + 1; }) |
          spate::fan_out(spate::branch() | spate::sum_into(sum),
                         spate::branch("per residue") | spate::key_by([](int x) { return x % 3; }) | spate::count() |
                             spate::collect_into(counts)));
  ctx.start();
  ctx.await_termination();
  REQUIRE(counts.size() == 3);
  const auto m = ctx.metrics();
  for (std::size_t k = 1; k <= 3; ++k) {
    INFO("stage " << k);
    REQUIRE(m.stage(0, k));
    CHECK(m.stage(0, k)->name == "map");
    CHECK(m.stage(0, k)->records_in == 600);
  }
  REQUIRE(m.stage(0, 4));
  CHECK(m.stage(0, 4)->is_sink);
  CHECK(m.stage(0, 4)->records_in == 600);
  const spate::stage_metrics* count = nullptr;
  const spate::stage_metrics* sink = nullptr;
  for (const auto& s : m.stages) {
    if (s.branch != "per residue") continue;
    CHECK(s.job == 0);
    if (s.name == "fold") count = &s;  // count() is a fold
    if (s.is_sink) sink = &s;
  }
  REQUIRE(count);
  CHECK(count->position == 3);  // the branch's: its entry, key_by, count
  CHECK(count->records_in == 600);
  CHECK(count->instances == 2);
  CHECK(count->uid.find("per residue") != std::string::npos);
  CHECK(count->keeps_state);
  CHECK(count->state_keys == 3u);  // residues 0, 1, 2 over both instances
  for (const auto& s : m.stages)
    if (s.branch == "per residue" && s.name == "key_by") CHECK_FALSE(s.keeps_state);
  // The branch's shuffle, in front of its count, under the branch's name.
  bool branch_shuffle = false;
  for (const auto& b : m.boundaries)
    if (b.branch == "per residue" && b.position == count->position) {
      branch_shuffle = true;
      CHECK(b.job == 0);
      CHECK(b.instances == 2);
      CHECK(b.queue_capacity > 0);
    }
  CHECK(branch_shuffle);
  REQUIRE(sink);
  CHECK(sink->records_in == 600);  // continuous: every update
  CHECK(count->records_out == 600);
}
