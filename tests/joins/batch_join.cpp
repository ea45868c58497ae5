// Spark's per-batch joins of pair streams (join/batch_join.hpp): join,
// left/right/full outer join and cogroup per micro-batch (golden cases fed
// batch by batch), over the whole input under spate::run, over event-time
// windows; laws: parallel == sequential, restore.
#include <catch2/catch.hpp>

#include "join_support.hpp"
#include "laws.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

using joins_test::sorted;

namespace {
using kv = std::pair<std::string, int>;
using kw = std::pair<std::string, std::string>;
using E = spate::either<kv, kw>;
using spate_laws::batch_end;

// Two batches: "a" and "b" in the first, "a" and "c" in the second.
std::vector<spate_laws::event<E>> two_batches() {
  return {E::first_of({"a", 1}), E::first_of({"a", 2}), E::second_of({"a", "x"}), E::first_of({"b", 3}),
          batch_end{},
          E::second_of({"a", "y"}), E::first_of({"c", 4}), E::second_of({"c", "z"}), E::second_of({"d", "w"}),
          batch_end{}};
}

// Feeds a job's chain the events, as an executor would, batch by batch.
template <class Job>
void feed(Job&& job, const std::vector<spate_laws::event<E>>& events) {
  spate::compacted_env env;
  auto c = spate::fuse::build(env, job);
  std::uint64_t n = 0;
  for (const auto& e : events) {
    if (const E* r = std::get_if<0>(&e)) c.push(*r);
    else c.on_batch_end(spate::batch_info{spate::from_millis(std::int64_t(n) * 1000), n}), ++n;
  }
  c.on_end();
}
// The stages after connect, for feeding: the job with a source that is never read.
template <class Make>
auto fed(Make make) {
  return make(spate::from_collection(std::vector<kv>{}), spate::from_collection(std::vector<kw>{}));
}
}  // namespace

TEST_CASE("join: inner join per batch (golden)", "[joins][spark]") {
  std::vector<std::pair<std::string, std::pair<int, std::string>>> out;
  feed(fed([&](auto a, auto b) { return spate::join(a, b) | spate::collect_into(out); }), two_batches());
  // batch 1: a has (1, 2) and (x); batch 2: a has only y (its 1 and 2 were
  // in the batch before), c has 4 and z
  CHECK(sorted(out) == decltype(out){{"a", {1, "x"}}, {"a", {2, "x"}}, {"c", {4, "z"}}});
}

TEST_CASE("join: outer joins and cogroup per batch (golden)", "[joins][spark]") {
  using std::nullopt;
  std::vector<std::pair<std::string, std::pair<int, std::optional<std::string>>>> left;
  feed(fed([&](auto a, auto b) { return spate::left_outer_join(a, b) | spate::collect_into(left); }), two_batches());
  CHECK(sorted(left) == sorted(decltype(left){{"a", {1, "x"}}, {"a", {2, "x"}}, {"b", {3, nullopt}}, {"c", {4, "z"}}}));

  std::vector<std::pair<std::string, std::pair<std::optional<int>, std::string>>> right;
  feed(fed([&](auto a, auto b) { return spate::right_outer_join(a, b) | spate::collect_into(right); }), two_batches());
  CHECK(sorted(right) == sorted(decltype(right){{"a", {1, "x"}}, {"a", {2, "x"}}, {"a", {nullopt, "y"}}, {"c", {4, "z"}}, {"d", {nullopt, "w"}}}));

  std::vector<std::pair<std::string, std::pair<std::optional<int>, std::optional<std::string>>>> full;
  feed(fed([&](auto a, auto b) { return spate::full_outer_join(a, b) | spate::collect_into(full); }), two_batches());
  CHECK(sorted(full) == sorted(decltype(full){{"a", {1, "x"}},
                                       {"a", {2, "x"}},
                                       {"a", {nullopt, "y"}},
                                       {"b", {3, nullopt}},
                                       {"c", {4, "z"}},
                                       {"d", {nullopt, "w"}}}));

  std::vector<std::pair<std::string, std::pair<std::vector<int>, std::vector<std::string>>>> groups;
  feed(fed([&](auto a, auto b) { return spate::cogroup(a, b) | spate::collect_into(groups); }), two_batches());
  CHECK(sorted(groups) == sorted(decltype(groups){{"a", {{1, 2}, {"x"}}},
                                           {"a", {{}, {"y"}}},
                                           {"b", {{3}, {}}},
                                           {"c", {{4}, {"z"}}},
                                           {"d", {{}, {"w"}}}}));
}

TEST_CASE("join: a bounded input under spate::run is one batch", "[joins][spark]") {
  // [doc:spark_join]
  std::vector<std::pair<std::string, int>> clicks{{"ad1", 1}, {"ad2", 1}, {"ad1", 1}};
  std::vector<std::pair<std::string, double>> prices{{"ad1", 0.5}, {"ad3", 0.2}};
  std::vector<std::pair<std::string, std::pair<int, std::optional<double>>>> out;
  spate::run(spate::left_outer_join(spate::from_collection(clicks), spate::from_collection(prices)) |
             spate::collect_into(out));
  // (ad1, (1, 0.5)) twice, (ad2, (1, none))
  // [end]
  CHECK(sorted(out) == decltype(out){{"ad1", {1, 0.5}}, {"ad1", {1, 0.5}}, {"ad2", {1, std::nullopt}}});
}

TEST_CASE("join: Spark joins over event-time windows, parallel == sequential", "[joins][spark][laws]") {
  using joins_test::left_rec;
  using joins_test::right_rec;
  using joins_test::id_pair;
  const auto as = joins_test::random_side<left_rec>(3, 300, 17, 2);
  const auto bs = joins_test::random_side<right_rec>(4, 300, 17, 2);
  // the pairs carry their records, so that with_watermarks after the map
  // gives each pair its event time
  auto pairs_a = [&] {
    return spate::from_collection(as) | spate::map([](const left_rec& r) { return std::pair{r.key, r}; }) |
           spate::with_watermarks([](const auto& p) { return p.second.ts; }, spate::bounded_out_of_orderness(2ms));
  };
  auto pairs_b = [&] {
    return spate::from_collection(bs) | spate::map([](const right_rec& r) { return std::pair{r.key, r}; }) |
           spate::with_watermarks([](const auto& p) { return p.second.ts; }, spate::bounded_out_of_orderness(2ms));
  };
  using out_t = std::vector<id_pair>;
  auto make = [&](out_t& o) {
    return spate::join(pairs_a(), pairs_b(), spate::tumbling(8ms)) |
           spate::map([](const auto& kp) { return id_pair{kp.second.first.id, kp.second.second.id}; }) |
           spate::collect_into(o);
  };
  out_t seq;
  spate::run(make(seq));
  CHECK(sorted(seq) == joins_test::brute_window(as, bs, 8, 8));
  spate_laws::parallel_equals_sequential<out_t>(make, [](out_t o) { return sorted(o); });
}

TEST_CASE("join: the open batch is restored from a snapshot", "[joins][spark][laws]") {
  using out_t = std::vector<std::pair<std::string, std::pair<int, std::string>>>;
  auto make = [](out_t& o) { return fed([&](auto a, auto b) { return spate::join(a, b) | spate::collect_into(o); }); };
  const auto events = two_batches();
  for (std::size_t cut : {std::size_t(2), std::size_t(5), std::size_t(7)})
    spate_laws::restore_equals_uninterrupted<out_t, spate::compacted_env>(make, events, cut,
                                                                          [](out_t o) { return sorted(o); });
}
