// restore(snapshot(s)) == s for every window operator (window_operator.hpp
// writes snapshot and restore once): a chain snapshotted at a random point
// and restored into a chain built anew gives what an uninterrupted run gives
// (spate_laws::restore_equals_uninterrupted, tests/support/laws.hpp). Count,
// global and per-batch windows included, with every built-in trigger.
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>
#include <spate/spate.hpp>
#include <spate/window.hpp>

#include "laws.hpp"

using namespace std::chrono_literals;

namespace {
struct reading {
  int sensor;
  std::int64_t ts;
  int value;
};
}  // namespace
// Reflected: count windows over the last n records and process() keep records.
BOOST_HANA_ADAPT_STRUCT(reading, sensor, ts, value);
namespace {
using ev = spate_laws::event<reading>;

// A few sensors, timestamps a little out of order, watermarks now and then
// (some records come after a watermark passed them: late), batch ends.
std::vector<ev> random_events(std::mt19937& rng) {
  std::uniform_int_distribution<int> n(0, 300), sensor(0, 5), jitter(0, 40), value(-9, 9), pick(0, 99);
  std::vector<ev> out;
  std::int64_t t = 0, wm = 0;
  const int len = n(rng);
  for (int i = 0; i < len; ++i) {
    t += jitter(rng) / 4;
    const int r = pick(rng);
    if (r < 80) {
      out.emplace_back(reading{sensor(rng), t + jitter(rng) - 20, value(rng)});
    } else if (r < 93) {
      wm = std::max(wm, t - 15);
      out.emplace_back(spate::from_millis(wm));
    } else {
      out.emplace_back(spate_laws::batch_end{});
    }
  }
  return out;
}

// Results of different keys due at once come in table order, which a
// restored table need not share: compare each key's results in their order.
struct per_key {
  template <class R>
  std::vector<R> operator()(std::vector<R> rs) const {
    std::stable_sort(rs.begin(), rs.end(), [](const R& a, const R& b) { return a.key < b.key; });
    return rs;
  }
};

// Several windows of one key due at one time fire in the order of their
// timers, which a restored queue need not share: each window's results in
// their order.
struct per_window {
  template <class R>
  std::vector<R> operator()(std::vector<R> rs) const {
    std::stable_sort(rs.begin(), rs.end(),
                     [](const R& a, const R& b) { return std::tie(a.key, a.start, a.end) < std::tie(b.key, b.start, b.end); });
    return rs;
  }
};

template <class Out, class Make, class Normalize = per_key>
void check_law(const Make& make, const Normalize& normalize = {}) {
  std::mt19937 rng(20261202);
  for (int round = 0; round < 40; ++round) {
    auto events = random_events(rng);
    std::size_t cut = events.empty() ? 0 : std::uniform_int_distribution<std::size_t>(0, events.size())(rng);
    spate_laws::restore_equals_uninterrupted<Out>(make, events, cut, normalize);
  }
}

template <class Out, class Make>
void check_law(per_window n, const Make& make) {
  check_law<Out>(make, n);
}

template <class Assigner>
auto counted(Assigner a) {
  return [a](auto& out) {
    return spate::from_elements(reading{}) | spate::key_by(&reading::sensor) | spate::window(a, &reading::ts) |
           spate::count() | spate::collect_into(out);
  };
}
using counts = std::vector<spate::window_result<int, std::int64_t>>;

auto sum_of_records = [](int, spate::time_window w, const std::vector<reading>& rs) {
  long s = spate::to_millis(w.start);
  for (const reading& r : rs) s = s * 31 + r.value;  // order matters
  return s;
};
}  // namespace

TEST_CASE("restore law: count windows, tumbling and sliding", "[window][snapshot][count]") {
  check_law<counts>(counted(spate::count_window(3)));
  check_law<counts>(counted(spate::count_window(4, 2)));
  check_law<std::vector<spate::window_result<int, long>>>([](auto& out) {
    return spate::from_elements(reading{}) | spate::key_by(&reading::sensor) |
           spate::window(spate::count_window(5, 3)) | spate::process(sum_of_records) | spate::collect_into(out);
  });
  check_law<std::vector<spate::all_window_result<std::int64_t>>>(
      [](auto& out) {
        return spate::from_elements(reading{}) | spate::window_all(spate::count_window(7)) | spate::count() |
               spate::collect_into(out);
      },
      spate_laws::as_is{});
}

TEST_CASE("restore law: global windows with every built-in trigger", "[window][snapshot][global][trigger]") {
  check_law<counts>(counted(spate::global_window(spate::every_n(3))));
  check_law<counts>(counted(spate::global_window(spate::purging(spate::every_n(2)))));
  check_law<counts>(counted(spate::global_window(spate::when([](const reading& r) { return r.value == 0; }))));
  check_law<counts>(counted(spate::global_window(spate::every(10ms))));
  check_law<counts>(counted(spate::global_window(spate::purging(spate::every(7ms)))));
}

TEST_CASE("restore law: per-batch windows", "[window][snapshot][batch]") {
  check_law<counts>([](auto& out) {
    return spate::from_elements(reading{}) | spate::key_by(&reading::sensor) | spate::window(spate::per_batch()) |
           spate::count() | spate::collect_into(out);
  });
}

TEST_CASE("restore law: time windows with lateness, late output and process", "[window][snapshot][lateness]") {
  auto late_tumbling = [](auto& out) {
    return spate::from_elements(reading{}) | spate::key_by(&reading::sensor) |
           spate::window(spate::tumbling(20ms), &reading::ts).allowed_lateness(10ms) | spate::process(sum_of_records) |
           spate::collect_into(out);
  };
  auto late_sliding = [](auto& out) {
    return spate::from_elements(reading{}) | spate::key_by(&reading::sensor) |
           spate::window(spate::sliding(30ms, 10ms), &reading::ts).allowed_lateness(5ms) | spate::count() |
           spate::collect_into(out);
  };
  auto late_session = [](auto& out) {
    return spate::from_elements(reading{}) | spate::key_by(&reading::sensor) |
           spate::window(spate::session(8ms), &reading::ts).allowed_lateness(4ms) | spate::count() |
           spate::collect_into(out);
  };
  check_law<std::vector<spate::window_result<int, long>>>(late_tumbling);
  check_law<counts>(late_sliding);
  check_law<counts>(late_session);
}

TEST_CASE("restore law: time windows with triggers and evictors", "[window][snapshot][trigger][evictor]") {
  // every part of a triggered window's state: contents, per-window counts,
  // next firing times, the windows' timers (event and processing time),
  // evicted buffers with their timestamps, merged sessions
  auto triggered = [](auto w) {
    return [w](auto& out) {
      return spate::from_elements(reading{}) | spate::key_by(&reading::sensor) | w | spate::count() |
             spate::collect_into(out);
    };
  };
  auto on = [](auto a) { return spate::window(a, &reading::ts); };
  check_law<counts>(per_window{}, triggered(on(spate::tumbling(20ms)).trigger(spate::continuous_event_time(7ms))));
  check_law<counts>(per_window{}, triggered(on(spate::tumbling(20ms)).allowed_lateness(10ms).trigger(spate::every_n(3))));
  check_law<counts>(per_window{}, 
      triggered(on(spate::sliding(30ms, 10ms)).allowed_lateness(5ms).trigger(spate::purging(spate::every_n(2)))));
  check_law<counts>(per_window{}, triggered(on(spate::sliding(30ms, 10ms)).trigger(spate::continuous_event_time(4ms))));
  check_law<counts>(per_window{}, 
      triggered(on(spate::session(8ms)).allowed_lateness(4ms).trigger(spate::continuous_event_time(5ms))));
  check_law<counts>(per_window{}, triggered(on(spate::session(8ms)).trigger(spate::purging(spate::every_n(2)))));
  check_law<counts>(per_window{}, triggered(on(spate::tumbling(20ms)).trigger(spate::continuous_processing_time(5ms))));
  auto evicting = [](auto w) {
    return [w](auto& out) {
      return spate::from_elements(reading{}) | spate::key_by(&reading::sensor) | w | spate::process(sum_of_records) |
             spate::collect_into(out);
    };
  };
  using sums = std::vector<spate::window_result<int, long>>;
  check_law<sums>(per_window{}, evicting(on(spate::tumbling(20ms)).allowed_lateness(10ms).evictor(spate::count_evictor(3))));
  check_law<sums>(per_window{}, evicting(
      on(spate::sliding(30ms, 10ms)).trigger(spate::every_n(2)).evictor(spate::time_evictor(5ms, spate::evict_when::after))));
  check_law<sums>(per_window{}, evicting(on(spate::session(8ms)).evictor(spate::time_evictor(3ms))));
}

TEST_CASE("rescale law: triggered windows move from P to P'", "[window][snapshot][rescale][trigger]") {
  auto continuous = [](auto& out) {
    return spate::from_elements(reading{}) | spate::key_by(&reading::sensor) |
           spate::window(spate::tumbling(20ms), &reading::ts).trigger(spate::continuous_event_time(6ms)) |
           spate::count() | spate::collect_into(out);
  };
  auto sessions = [](auto& out) {
    return spate::from_elements(reading{}) | spate::key_by(&reading::sensor) |
           spate::window(spate::session(8ms), &reading::ts).allowed_lateness(3ms).trigger(spate::every_n(2)) |
           spate::count() | spate::collect_into(out);
  };
  auto evicting = [](auto& out) {
    return spate::from_elements(reading{}) | spate::key_by(&reading::sensor) |
           spate::window(spate::sliding(30ms, 10ms), &reading::ts).evictor(spate::count_evictor(2)) |
           spate::process(sum_of_records) | spate::collect_into(out);
  };
  auto key = [](const reading& r) { return r.sensor; };
  std::mt19937 rng(20261203);
  for (int round = 0; round < 15; ++round) {
    auto events = random_events(rng);
    std::size_t cut = events.empty() ? 0 : std::uniform_int_distribution<std::size_t>(0, events.size())(rng);
    for (auto [from, to] : {std::pair<std::size_t, std::size_t>{2, 1}, {1, 2}, {3, 2}}) {
      spate_laws::rescale_equals_uninterrupted<counts>(continuous, events, cut, key, from, to, per_window{});
      spate_laws::rescale_equals_uninterrupted<counts>(sessions, events, cut, key, from, to, per_window{});
      spate_laws::rescale_equals_uninterrupted<std::vector<spate::window_result<int, long>>>(evicting, events, cut, key,
                                                                                             from, to, per_window{});
    }
  }
}

TEST_CASE("a window operator refuses a snapshot that does not decode, and keeps its state", "[window][snapshot]") {
  std::vector<reading> none;
  counts out;
  auto job = spate::from_collection(none) | spate::key_by(&reading::sensor) |
             spate::window(spate::global_window(spate::every_n(2))) | spate::count() | spate::collect_into(out);
  spate::rolling_env env;
  auto a = spate::fuse::build(env, job);
  a.push(reading{1, 0, 0});
  std::string snap;
  a.down.snapshot(snap);
  CHECK_FALSE(a.down.restore("garbage"));
  CHECK_FALSE(a.down.restore(snap.substr(0, snap.size() / 2)));
  a.push(reading{1, 0, 0});  // the state survived: the second record fires
  CHECK(out == counts{{1, {}, {}, 2}});
  auto b = spate::fuse::build(env, job);
  REQUIRE(b.down.restore(snap));
  b.push(reading{1, 0, 0});
  CHECK(out == counts{{1, {}, {}, 2}, {1, {}, {}, 2}});
  CHECK(a.down.late_count() == 0);
}
