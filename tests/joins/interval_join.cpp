// interval_join (join/interval_join.hpp): Flink's interval join semantics
// (golden cases), random streams against a brute-force join, late records to
// side outputs, state cleaned by the watermark; laws: fused == unfused,
// parallel == sequential (continuous and micro-batch), restore and rescale.
#include <catch2/catch.hpp>

#include "join_support.hpp"
#include "laws.hpp"

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using namespace joins_test;

namespace {
struct order {
  int id = 0;
  std::int64_t ts = 0;
};
struct payment {
  int order = 0;
  std::int64_t ts = 0;
  int cents = 0;
};

auto interval_job(const std::vector<left_rec>& as, const std::vector<right_rec>& bs, int disorder,
                  spate::duration lo, spate::duration hi, std::vector<id_pair>& out) {
  return spate::connect(timed_left(as, disorder), timed_right(bs, disorder)) |
         spate::key_by(&left_rec::key, &right_rec::key) | spate::interval_join(lo, hi, ids) |
         spate::collect_into(out);
}
}  // namespace

TEST_CASE("interval_join: Flink's example, between(-2 ms, 1 ms) (golden)", "[joins][interval_join]") {
  // Flink's documentation: orange and green streams of one key,
  // orange.intervalJoin(green).between(-2ms, 1ms): each orange element joins
  // the green elements in [orange.ts - 2, orange.ts + 1].
  std::vector<left_rec> orange{{0, 0, 0}, {0, 2, 2}, {0, 3, 3}, {0, 4, 4}, {0, 5, 5}, {0, 7, 7}};
  std::vector<right_rec> green{{0, 0, 0}, {0, 1, 1}, {0, 6, 6}, {0, 7, 7}};
  std::vector<id_pair> out;
  spate::run(interval_job(orange, green, 0, -2ms, 1ms, out));
  CHECK(sorted(out) == std::vector<id_pair>{{0, 0}, {0, 1}, {2, 0}, {2, 1}, {3, 1}, {5, 6}, {7, 6}, {7, 7}});
}

TEST_CASE("interval_join: orders paid within 10 s", "[joins][interval_join]") {
  // [doc:interval_join]
  std::vector<order> orders{{1, 1'000}, {2, 2'000}, {3, 3'000}};
  std::vector<payment> payments{{3, 3'000, 900}, {1, 4'000, 500}, {2, 15'000, 700}};
  std::vector<std::pair<int, int>> paid;  // (order, cents)
  auto os = spate::from_collection(orders) | spate::with_watermarks(&order::ts, spate::bounded_out_of_orderness(1s));
  auto ps = spate::from_collection(payments) | spate::with_watermarks(&payment::ts, spate::bounded_out_of_orderness(1s));
  spate::run(spate::connect(os, ps) | spate::key_by(&order::id, &payment::order) |
             spate::interval_join(0s, 10s, [](const order& o, const payment& p) { return std::pair{o.id, p.cents}; }) |
             spate::collect_into(paid));
  // order 2 was paid 13 s after it was placed: no match
  // [end]
  CHECK(sorted(paid) == std::vector<std::pair<int, int>>{{1, 500}, {3, 900}});
}

TEST_CASE("interval_join: exclusive bounds", "[joins][interval_join]") {
  std::vector<left_rec> a{{0, 10, 1}};
  std::vector<right_rec> b{{0, 8, 8}, {0, 9, 9}, {0, 10, 10}, {0, 11, 11}, {0, 12, 12}};
  auto run = [&](auto stage) {
    std::vector<id_pair> out;
    spate::run(spate::connect(timed_left(a, 0), timed_right(b, 0)) | spate::key_by(&left_rec::key, &right_rec::key) |
               stage | spate::collect_into(out));
    return sorted(out);
  };
  auto j = spate::interval_join(-2ms, 2ms, ids);
  CHECK(run(j) == std::vector<id_pair>{{1, 8}, {1, 9}, {1, 10}, {1, 11}, {1, 12}});
  CHECK(run(j.lower_bound_exclusive()) == std::vector<id_pair>{{1, 9}, {1, 10}, {1, 11}, {1, 12}});
  CHECK(run(j.upper_bound_exclusive()) == std::vector<id_pair>{{1, 8}, {1, 9}, {1, 10}, {1, 11}});
  CHECK(run(j.lower_bound_exclusive().upper_bound_exclusive()) == std::vector<id_pair>{{1, 9}, {1, 10}, {1, 11}});
  CHECK(run(spate::interval_join(1ms, 1ms, ids)) == std::vector<id_pair>{{1, 11}});
  CHECK_THROWS_WITH(run(spate::interval_join(1ms, 1ms, ids).upper_bound_exclusive()),
                    Catch::Contains("interval_join") && Catch::Contains("lower bound is above the upper bound"));
}

TEST_CASE("interval_join: random streams against a brute-force join", "[joins][interval_join]") {
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    const int disorder = int(seed % 5);
    const auto as = random_side<left_rec>(seed, 150, 1 + int(seed % 7), disorder);
    const auto bs = random_side<right_rec>(seed * 7919, 150, 1 + int(seed % 7), disorder);
    const std::int64_t lo = -std::int64_t(seed % 6), hi = lo + std::int64_t(seed % 9);
    INFO("seed " << seed << " bounds [" << lo << ", " << hi << "]");
    std::vector<id_pair> out;
    std::uint64_t late = 0;
    spate::run(spate::connect(timed_left(as, disorder), timed_right(bs, disorder)) |
               spate::key_by(&left_rec::key, &right_rec::key) |
               spate::interval_join(spate::duration(lo), spate::duration(hi), ids).count_late_into(late) |
               spate::collect_into(out));
    CHECK(late == 0);
    CHECK(sorted(out) == brute_interval(as, bs, lo, hi));
  }
}

TEST_CASE("interval_join: laws", "[joins][interval_join][laws]") {
  using out_t = std::vector<id_pair>;
  const auto as = random_side<left_rec>(11, 400, 23, 3);
  const auto bs = random_side<right_rec>(12, 400, 23, 3);
  auto make = [&](out_t& o) { return interval_job(as, bs, 3, -5ms, 3ms, o); };
  spate_laws::fused_equals_unfused<out_t>([&](out_t& o) {
    auto j = make(o);
    return j;
  });
  spate_laws::parallel_equals_sequential<out_t>(make, [](out_t o) { return sorted(o); });
  out_t seq;
  spate::run(make(seq));
  CHECK(sorted(seq) == brute_interval(as, bs, -5, 3));
}

TEST_CASE("interval_join: restore(snapshot) and rescaling continue the join", "[joins][interval_join][laws]") {
  using out_t = std::vector<id_pair>;
  const auto as = random_side<left_rec>(21, 120, 9, 2);
  const auto bs = random_side<right_rec>(22, 120, 9, 2);
  const auto events = interleave<spate_laws::event<either_t>>(as, bs, 7);
  auto make = [](out_t& o) {
    return spate::from_collection(std::vector<either_t>{}) | spate::key_by(&left_rec::key, &right_rec::key) |
           spate::interval_join(-4ms, 2ms, ids) | spate::collect_into(o);
  };
  auto norm = [](out_t o) { return sorted(o); };
  for (std::size_t cut : {std::size_t(0), events.size() / 4, events.size() / 2, events.size() - 3})
    spate_laws::restore_equals_uninterrupted<out_t>(make, events, cut, norm);
  auto key_of = [](const either_t& e) { return e.is_first() ? e.first().key : e.second().key; };
  spate_laws::rescale_equals_uninterrupted<out_t>(make, events, events.size() / 2, key_of, 2, 3, norm);
  spate_laws::rescale_equals_uninterrupted<out_t>(make, events, events.size() / 3, key_of, 3, 1, norm);
}

TEST_CASE("interval_join: the watermark cleans the state", "[joins][interval_join]") {
  std::vector<id_pair> out;
  spate::rolling_env env;
  auto job = spate::from_collection(std::vector<either_t>{}) | spate::key_by(&left_rec::key, &right_rec::key) |
             spate::interval_join(-2ms, 3ms, ids) | spate::collect_into(out);
  auto c = spate::fuse::build(env, job);
  auto& join = c.down;  // key_by's next stage
  for (int i = 0; i < 100; ++i) {
    c.push(either_t::first_of({i % 10, 100 + i, i}, 100 + i));
    c.push(either_t::second_of({i % 10, 100 + i, i}, 100 + i));
    c.on_watermark(spate::from_millis(100 + i - 1));
    // a left record waits 3 ms (upper) and a right 2 ms (-lower) past the watermark
    CHECK(join.buffered() <= 2 * 6);
  }
  c.on_watermark(spate::max_watermark);
  CHECK(join.buffered() == 0);
}

namespace {
inline constexpr spate::output_tag<"late orders", left_rec> late_left;
inline constexpr spate::output_tag<"late payments", right_rec> late_right;
}  // namespace

TEST_CASE("interval_join: late records go to side outputs, never silently away", "[joins][interval_join]") {
  // [doc:interval_late]
  // monotonous watermarks: a record older than the watermark is late
  std::vector<left_rec> a{{1, 100, 1}, {1, 200, 2}, {1, 150, 3}};  // 150 after 200: late
  std::vector<right_rec> b{{1, 101, 10}, {1, 300, 11}, {1, 120, 12}};  // 120 after 300: late
  std::vector<id_pair> joined;
  std::vector<int> late_a, late_b;
  auto as = spate::from_collection(a) | spate::with_watermarks(&left_rec::ts, spate::monotonous());
  auto bs = spate::from_collection(b) | spate::with_watermarks(&right_rec::ts, spate::monotonous());
  // turn(1): connect reads the inputs in turns of one record, so the
  // watermark of both has passed 199 when 150 arrives
  spate::run(spate::connect(as, bs).turn(1) | spate::key_by(&left_rec::key, &right_rec::key) |
             spate::interval_join(0ms, 5ms, ids).late_left_to(late_left).late_right_to(late_right) |
             spate::fan_out(spate::branch() | spate::collect_into(joined),
                            spate::branch(late_left) | spate::map(&left_rec::id) | spate::collect_into(late_a),
                            spate::branch(late_right) | spate::map(&right_rec::id) | spate::collect_into(late_b)));
  // [end]
  CHECK(joined == std::vector<id_pair>{{1, 10}});
  CHECK(late_a == std::vector<int>{3});
  CHECK(late_b == std::vector<int>{12});
}

TEST_CASE("interval_join: a record without event time is a clear error", "[joins][interval_join][errors]") {
  std::vector<left_rec> a{{1, 100, 1}};
  std::vector<right_rec> b{{1, 101, 10}};
  std::vector<id_pair> out;
  auto job = spate::connect(spate::from_collection(a), spate::from_collection(b)) |
             spate::key_by(&left_rec::key, &right_rec::key) | spate::interval_join(0ms, 5ms, ids) |
             spate::collect_into(out);
  CHECK_THROWS_WITH(spate::run(job), Catch::Contains("interval_join") && Catch::Contains("no event time"));
}

namespace {
inline constexpr spate::output_tag<"late", either_t> late_either;
}  // namespace

TEST_CASE("interval_join and window_join: late side outputs, fused == unfused", "[joins][laws][side_output]") {
  // monotonous watermarks over disordered inputs: some records are late
  const auto as = random_side<left_rec>(21, 400, 9, 6);
  const auto bs = random_side<right_rec>(22, 400, 9, 6);
  struct outs {
    std::vector<id_pair> joined;
    std::vector<int> late_a, late_b;
    bool operator==(const outs&) const = default;
  };
  auto inputs = [&] {
    return spate::connect(spate::from_collection(as) | spate::with_watermarks(&left_rec::ts, spate::monotonous()),
                          spate::from_collection(bs) | spate::with_watermarks(&right_rec::ts, spate::monotonous()))
               .turn(3) |
           spate::key_by(&left_rec::key, &right_rec::key);
  };
  auto interval = [&](outs& o) {
    return inputs() | spate::interval_join(-2ms, 3ms, ids).late_left_to(late_left).late_right_to(late_right) |
           spate::fan_out(spate::branch() | spate::collect_into(o.joined),
                          spate::branch(late_left) | spate::map(&left_rec::id) | spate::collect_into(o.late_a),
                          spate::branch(late_right) | spate::map(&right_rec::id) | spate::collect_into(o.late_b));
  };
  auto windowed = [&](outs& o) {
    return inputs() | spate::window_join(spate::tumbling(4ms), ids).late_to(late_either) |
           spate::fan_out(spate::branch() | spate::collect_into(o.joined),
                          spate::branch(late_either) | spate::map([](const either_t& e) {
                            return e.is_first() ? e.first().id : -e.second().id;
                          }) | spate::collect_into(o.late_a));
  };
  for (int which = 0; which < 2; ++which) {
    INFO((which == 0 ? "interval_join" : "window_join"));
    outs fused, unfused;
    if (which == 0) {
      spate::run(interval(fused));
      spate::run_unfused(interval(unfused));
    } else {
      spate::run(windowed(fused));
      spate::run_unfused(windowed(unfused));
    }
    CHECK(fused.late_a.size() + fused.late_b.size() > 0);
    CHECK(!fused.joined.empty());
    CHECK(unfused == fused);
  }
}
