// window_join and co_group (join/window_join.hpp): Flink's tumbling, sliding
// and session window joins (golden cases from its documentation), random
// streams against brute-force joins, coGroup as outer joins, allowed lateness
// and late records; laws: fused == unfused, parallel == sequential
// (continuous and micro-batch), restore.
#include <catch2/catch.hpp>

#include "join_support.hpp"
#include "laws.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using namespace joins_test;

namespace {
// Flink's figures: one key, orange elements at 0..7, green at 0, 1, 3, 4, 5
// (the id of each element is its timestamp).
std::vector<left_rec> orange() {
  std::vector<left_rec> v;
  for (int t = 0; t <= 7; ++t) v.push_back({0, t, t});
  return v;
}
std::vector<right_rec> green() { return {{0, 0, 0}, {0, 1, 1}, {0, 3, 3}, {0, 4, 4}, {0, 5, 5}}; }

template <class Assigner>
std::vector<id_pair> window_joined(const std::vector<left_rec>& as, const std::vector<right_rec>& bs, int disorder,
                                   Assigner w) {
  std::vector<id_pair> out;
  spate::run(spate::connect(timed_left(as, disorder), timed_right(bs, disorder)) |
             spate::key_by(&left_rec::key, &right_rec::key) | spate::window_join(w, ids) | spate::collect_into(out));
  return sorted(out);
}
}  // namespace

TEST_CASE("window_join: clicks and impressions per minute", "[joins][window_join]") {
  // [doc:window_join]
  struct impression {
    std::string ad;
    std::int64_t ts = 0;
  };
  struct click {
    std::string ad;
    std::int64_t ts = 0;
  };
  std::vector<impression> shown{{"ad1", 1'000}, {"ad2", 2'000}, {"ad1", 70'000}};
  std::vector<click> clicked{{"ad2", 3'000}, {"ad1", 5'000}, {"ad1", 61'000}};
  std::vector<std::string> out;
  auto is = spate::from_collection(shown) | spate::with_watermarks(&impression::ts, spate::monotonous());
  auto cs = spate::from_collection(clicked) | spate::with_watermarks(&click::ts, spate::monotonous());
  spate::run(spate::connect(is, cs) | spate::key_by(&impression::ad, &click::ad) |
             spate::window_join(spate::tumbling(1min),
                                [](const impression& i, const click& c) {
                                  return i.ad + "@" + std::to_string(i.ts) + "+" + std::to_string(c.ts);
                                }) |
             spate::collect_into(out));
  // [0, 60 s): ad1 shown at 1 s, clicked at 5 s; ad2 shown at 2 s, clicked at 3 s.
  // [60 s, 120 s): ad1 shown at 70 s, clicked at 61 s (same window, any order).
  // [end]
  CHECK(sorted(out) == std::vector<std::string>{"ad1@1000+5000", "ad1@70000+61000", "ad2@2000+3000"});
}

TEST_CASE("window_join: tumbling windows of 2 ms (golden)", "[joins][window_join]") {
  // [0,2): 0 and 1 with 0 and 1; [2,4): 2 and 3 with 3; [4,6): 4 and 5 with 4
  // and 5; [6,8): no green element, nothing is emitted (an inner join).
  CHECK(window_joined(orange(), green(), 0, spate::tumbling(2ms)) ==
        std::vector<id_pair>{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 3}, {3, 3}, {4, 4}, {4, 5}, {5, 4}, {5, 5}});
}

TEST_CASE("window_join: sliding windows of 2 ms every 1 ms (golden)", "[joins][window_join]") {
  // Windows [-1,1), [0,2), [1,3), ...: orange 2 joins green 3 in [2,4) but
  // nothing in [1,3), where green has only 1 - so (2, 1) too.
  const auto got = window_joined(orange(), green(), 0, spate::sliding(2ms, 1ms));
  CHECK(got == brute_window(orange(), green(), 2, 1));
  CHECK(std::count(got.begin(), got.end(), id_pair{0, 0}) == 2);  // in [-1,1) and [0,2)
  CHECK(std::count(got.begin(), got.end(), id_pair{2, 3}) == 1);  // only in [2,4)
  CHECK(std::count(got.begin(), got.end(), id_pair{6, 5}) == 1);  // [5,7)
}

TEST_CASE("window_join: session windows with a gap of 2 ms (golden)", "[joins][window_join]") {
  // Timestamps 0 1 | 4 5 6 | 9 with a gap of 2 ms: a record opens [t, t + 2),
  // and windows that overlap or touch merge (Flink's TimeWindow.intersects),
  // so the sessions are {0, 1}, {4, 5, 6}, {9}; 9 has no green partner.
  std::vector<left_rec> a{{0, 0, 0}, {0, 4, 4}, {0, 6, 6}, {0, 9, 9}};
  std::vector<right_rec> b{{0, 1, 1}, {0, 5, 5}};
  CHECK(window_joined(a, b, 0, spate::session(2ms)) == std::vector<id_pair>{{0, 1}, {4, 5}, {6, 5}});
}

TEST_CASE("window_join: random streams against brute-force joins", "[joins][window_join]") {
  for (std::uint32_t seed = 1; seed <= 25; ++seed) {
    const int disorder = int(seed % 4);
    const auto as = random_side<left_rec>(seed, 120, 1 + int(seed % 5), disorder);
    const auto bs = random_side<right_rec>(seed * 31, 120, 1 + int(seed % 5), disorder);
    INFO("seed " << seed);
    const std::int64_t size = 2 + seed % 9;
    CHECK(window_joined(as, bs, disorder, spate::tumbling(spate::duration(size))) == brute_window(as, bs, size, size));
    const std::int64_t slide = 1 + seed % 3;
    CHECK(window_joined(as, bs, disorder, spate::sliding(spate::duration(size), spate::duration(slide))) ==
          brute_window(as, bs, size, slide));
    const std::int64_t gap = 1 + seed % 4;
    CHECK(window_joined(as, bs, disorder, spate::session(spate::duration(gap))) == brute_session(as, bs, gap));
  }
}

namespace {
auto tumbling_job(const std::vector<left_rec>& as, const std::vector<right_rec>& bs, std::vector<id_pair>& out) {
  return spate::connect(timed_left(as, 2), timed_right(bs, 2)) | spate::key_by(&left_rec::key, &right_rec::key) |
         spate::window_join(spate::tumbling(10ms), ids) | spate::collect_into(out);
}
auto session_job(const std::vector<left_rec>& as, const std::vector<right_rec>& bs, std::vector<id_pair>& out) {
  return spate::connect(timed_left(as, 2), timed_right(bs, 2)) | spate::key_by(&left_rec::key, &right_rec::key) |
         spate::window_join(spate::session(3ms), ids) | spate::collect_into(out);
}
}  // namespace

TEST_CASE("window_join: laws", "[joins][window_join][laws]") {
  using out_t = std::vector<id_pair>;
  const auto as = random_side<left_rec>(5, 400, 31, 2);
  const auto bs = random_side<right_rec>(6, 400, 31, 2);
  auto norm = [](out_t o) { return sorted(o); };
  spate_laws::fused_equals_unfused<out_t>([&](out_t& o) { return tumbling_job(as, bs, o); });
  spate_laws::parallel_equals_sequential<out_t>([&](out_t& o) { return tumbling_job(as, bs, o); }, norm);
  spate_laws::parallel_equals_sequential<out_t>([&](out_t& o) { return session_job(as, bs, o); }, norm);

  const auto events = interleave<spate_laws::event<either_t>>(random_side<left_rec>(7, 100, 7, 2),
                                                             random_side<right_rec>(8, 100, 7, 2), 5);
  auto make = [](auto assigner) {
    return [assigner](out_t& o) {
      return spate::from_collection(std::vector<either_t>{}) | spate::key_by(&left_rec::key, &right_rec::key) |
             spate::window_join(assigner, ids) | spate::collect_into(o);
    };
  };
  for (std::size_t cut : {events.size() / 3, events.size() / 2}) {
    spate_laws::restore_equals_uninterrupted<out_t>(make(spate::sliding(6ms, 2ms)), events, cut, norm);
    spate_laws::restore_equals_uninterrupted<out_t>(make(spate::tumbling(5ms)), events, cut, norm);
    spate_laws::restore_equals_uninterrupted<out_t>(make(spate::session(2ms)), events, cut, norm);
  }
}

TEST_CASE("window_join after an evictor joins what the evictor keeps", "[joins][window_join][evictor]") {
  // count_evictor(2) keeps the last 2 records of the window, of both inputs:
  // of a@0, b@1, a@2, b@3 that is a@2, b@3.
  std::vector<id_pair> out;
  const std::vector<left_rec> as{{0, 0, 10}, {0, 2, 12}};
  const std::vector<right_rec> bs{{0, 1, 21}, {0, 3, 23}};
  spate::run(spate::connect(timed_left(as, 0), timed_right(bs, 0)).turn(1) |
             spate::key_by(&left_rec::key, &right_rec::key) |
             spate::window_join(spate::tumbling(10ms), ids).evictor(spate::count_evictor(2)) | spate::collect_into(out));
  CHECK(out == std::vector<id_pair>{{12, 23}});
  // every_n(2) fires at every second record: a@0 b@1 -> (10, 21); then all four
  std::vector<id_pair> fired;
  spate::run(spate::connect(timed_left(as, 0), timed_right(bs, 0)).turn(1) |
             spate::key_by(&left_rec::key, &right_rec::key) |
             spate::window_join(spate::tumbling(10ms), ids).trigger(spate::every_n(2)) | spate::collect_into(fired));
  CHECK(fired == std::vector<id_pair>{{10, 21}, {10, 21}, {10, 23}, {12, 21}, {12, 23}});
}

TEST_CASE("a window join's window state refuses a snapshot with no record in a window", "[joins][window_join][errors]") {
  using records = spate::detail::join_records<either_t>;
  std::string bytes;
  {
    spate::serde::writer w(bytes);
    w.write_varint(0);
  }
  spate::serde::reader r(bytes);
  auto got = spate::serde::codec<records>::read(r);
  REQUIRE_FALSE(got);
  CHECK_THAT(got.error().message(), Catch::Contains("holds no record"));
  // and a window of three records comes back as it went
  records three{either_t::first_of({1, 2, 3}, 2), {either_t::second_of({1, 3, 4}, 3), either_t::first_of({1, 4, 5}, 4)}};
  std::string enc;
  {
    spate::serde::writer w(enc);
    spate::serde::codec<records>::write(w, three);
  }
  spate::serde::reader r2(enc);
  auto back = spate::serde::codec<records>::read(r2);
  REQUIRE(back);
  CHECK(*back == three);
}

TEST_CASE("co_group: both sides per key and window, outer joins (golden)", "[joins][co_group]") {
  // [doc:co_group]
  // a left outer join per tumbling window of 2 ms: every orange element,
  // with the green elements of its window or with none
  using row = std::pair<int, std::optional<int>>;
  std::vector<spate::window_result<int, std::vector<row>>> out;
  spate::run(spate::connect(timed_left(orange(), 0), timed_right(green(), 0)) |
             spate::key_by(&left_rec::key, &right_rec::key) |
             spate::co_group(spate::tumbling(2ms),
                             [](const std::vector<left_rec>& os, const std::vector<right_rec>& gs) {
                               std::vector<row> rows;
                               for (const auto& o : os) {
                                 if (gs.empty()) rows.push_back({o.id, std::nullopt});
                                 for (const auto& g : gs) rows.push_back({o.id, g.id});
                               }
                               return rows;
                             }) |
             spate::collect_into(out));
  // [end]
  REQUIRE(out.size() == 4);
  std::sort(out.begin(), out.end(), [](auto& x, auto& y) { return x.start < y.start; });
  CHECK(spate::to_millis(out[3].start) == 6);
  CHECK(out[3].value == std::vector<row>{{6, std::nullopt}, {7, std::nullopt}});
  CHECK(out[1].value == std::vector<row>{{2, 3}, {3, 3}});
}

namespace {
inline constexpr spate::output_tag<"late", either_t> too_late;
}

TEST_CASE("window_join: allowed lateness re-fires, later records go to the side output", "[joins][window_join]") {
  std::vector<left_rec> a{{0, 1, 1}, {0, 20, 20}, {0, 2, 2}, {0, 40, 40}, {0, 3, 3}};
  std::vector<right_rec> b{{0, 1, 101}, {0, 20, 120}, {0, 40, 140}};
  auto as = spate::from_collection(a) | spate::with_watermarks(&left_rec::ts, spate::monotonous());
  auto bs = spate::from_collection(b) | spate::with_watermarks(&right_rec::ts, spate::monotonous());
  std::vector<id_pair> joined;
  std::vector<either_t> late;
  spate::run(spate::connect(as, bs).turn(1) | spate::key_by(&left_rec::key, &right_rec::key) |
             spate::window_join(spate::tumbling(10ms), ids).allowed_lateness(25ms).late_to(too_late) |
             spate::fan_out(spate::branch() | spate::collect_into(joined), spate::branch(too_late) | spate::collect_into(late)));
  // 2 arrives within the lateness of [0, 10) (watermark 19): the window fires
  // again with (1, 101) and (2, 101); 3 arrives after the watermark passed
  // 9 + 25 (at 39): late, to the side output.
  CHECK(std::count(joined.begin(), joined.end(), id_pair{1, 101}) == 2);
  CHECK(std::count(joined.begin(), joined.end(), id_pair{2, 101}) == 1);
  CHECK(std::count(joined.begin(), joined.end(), id_pair{3, 101}) == 0);
  REQUIRE(late.size() == 1);
  CHECK(late[0].first().id == 3);
}

TEST_CASE("window_join: a record without event time is a clear error", "[joins][window_join][errors]") {
  std::vector<left_rec> a{{1, 100, 1}};
  std::vector<right_rec> b{{1, 101, 10}};
  std::vector<id_pair> out;
  auto job = spate::connect(spate::from_collection(a), timed_right(b, 0)) |
             spate::key_by(&left_rec::key, &right_rec::key) | spate::window_join(spate::tumbling(5ms), ids) |
             spate::collect_into(out);
  CHECK_THROWS_WITH(spate::run(job), Catch::Contains("window_join") && Catch::Contains("input 1 carries no event time"));
}
