// restore(snapshot(s)) == s for every stateful stage, as a law on random
// inputs: a chain snapshotted at a random point and restored into a chain
// built anew continues exactly as the original would have (tests/support/
// laws.hpp). Rolling and compacted emission, windows, timers and
// watermarks included.
#include <catch2/catch.hpp>

#include <spate/spate.hpp>
#include <spate/window.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "laws.hpp"

using namespace std::chrono_literals;

namespace {

struct reading {
  int sensor;
  std::int64_t ts;
  int value;
};
}  // namespace
// Reflected, so that state holding readings has a binary encoding.
BOOST_HANA_ADAPT_STRUCT(reading, sensor, ts, value);
namespace {

using ev = spate_laws::event<reading>;

// Records of a few sensors with timestamps a little out of order, a
// watermark now and then (never past a record still to come by more than
// the bound), batch ends now and then.
std::vector<ev> random_events(std::mt19937& rng, bool batch_ends) {
  std::uniform_int_distribution<int> n(0, 400), sensor(0, 6), jitter(0, 40), value(-50, 50), pick(0, 99);
  std::vector<ev> out;
  std::int64_t t = 0, wm = 0;
  const int len = n(rng);
  for (int i = 0; i < len; ++i) {
    t += jitter(rng) / 4;
    const int r = pick(rng);
    if (r < 80) {
      out.emplace_back(reading{sensor(rng), t + jitter(rng) - 20, value(rng)});
    } else if (r < 92) {
      wm = std::max(wm, t - 30);
      out.emplace_back(spate::from_millis(wm));
    } else if (batch_ends) {
      out.emplace_back(spate_laws::batch_end{});
    }
  }
  return out;
}

template <class Out, class Env = spate::rolling_env, class Make, class Normalize = spate_laws::as_is>
void check_law(const Make& make, bool batch_ends = false, const Normalize& normalize = {}) {
  std::mt19937 rng(20261201);
  for (int round = 0; round < 40; ++round) {
    auto events = random_events(rng, batch_ends);
    std::size_t cut = events.empty() ? 0 : std::uniform_int_distribution<std::size_t>(0, events.size())(rng);
    spate_laws::restore_equals_uninterrupted<Out, Env>(make, events, cut, normalize);
  }
}

// Windows of different keys that fire at one watermark come in the order of
// the operator's table, which a restored table need not share: compare each
// key's results in the order they came.
struct per_key {
  template <class R>
  std::vector<R> operator()(std::vector<R> rs) const {
    std::stable_sort(rs.begin(), rs.end(), [](const R& a, const R& b) { return a.key < b.key; });
    return rs;
  }
};

// The same for (key, value) pairs.
struct per_key_pairs {
  template <class R>
  std::vector<R> operator()(std::vector<R> rs) const {
    std::stable_sort(rs.begin(), rs.end(), [](const R& a, const R& b) { return a.first < b.first; });
    return rs;
  }
};

struct mean_acc {
  long sum = 0, n = 0;
};
}  // namespace
BOOST_HANA_ADAPT_STRUCT(mean_acc, sum, n);
namespace {
struct mean {
  using acc = mean_acc;
  acc create_accumulator() const { return {}; }
  acc add(const reading& r, acc a) const { return {a.sum + r.value, a.n + 1}; }
  long get_result(const acc& a) const { return a.n ? a.sum / a.n : 0; }
  acc merge(acc a, const acc& b) const { return {a.sum + b.sum, a.n + b.n}; }
};

}  // namespace

TEST_CASE("restore law: keyed count, reduce, fold and aggregate, rolling and compacted", "[law][snapshot]") {
  auto counts = [](auto& out) {
    return spate::from_elements(reading{}) | spate::key_by(&reading::sensor) | spate::count() | spate::collect_into(out);
  };
  auto reduced = [](auto& out) {
    return spate::from_elements(reading{}) | spate::key_by(&reading::sensor)
           | spate::reduce([](reading a, const reading& b) { return reading{a.sensor, std::max(a.ts, b.ts), a.value + b.value}; })
           | spate::map([](const auto& kv) { return std::tuple(kv.first, kv.second.ts, kv.second.value); })
           | spate::collect_into(out);
  };
  auto folded = [](auto& out) {
    return spate::from_elements(reading{}) | spate::key_by(&reading::sensor)
           | spate::fold(std::string{}, [](std::string s, const reading& r) { return s + std::to_string(r.value % 10); })
           | spate::collect_into(out);
  };
  auto averaged = [](auto& out) {
    return spate::from_elements(reading{}) | spate::key_by(&reading::sensor) | spate::aggregate(mean{}) | spate::collect_into(out);
  };
  check_law<std::vector<std::pair<int, std::int64_t>>>(counts);
  check_law<std::vector<std::pair<int, std::int64_t>>, spate::compacted_env>(counts, true);
  check_law<std::vector<std::tuple<int, std::int64_t, int>>>(reduced);
  check_law<std::vector<std::tuple<int, std::int64_t, int>>, spate::compacted_env>(reduced, true);
  check_law<std::vector<std::pair<int, std::string>>>(folded);
  check_law<std::vector<std::pair<int, long>>, spate::compacted_env>(averaged, true);
}

TEST_CASE("restore law: take keeps how many it has let through", "[law][snapshot]") {
  check_law<std::vector<int>>([](auto& out) {
    return spate::from_elements(reading{}) | spate::take(57) | spate::map([](const reading& r) { return r.value; })
           | spate::collect_into(out);
  });
}

namespace {
// Keyed event-time window counts (the restore and rescale laws).
auto tumbling_count = [](auto& out) {
  return spate::from_elements(reading{}) | spate::key_by(&reading::sensor)
         | spate::window(spate::tumbling(50ms), &reading::ts) | spate::count() | spate::collect_into(out);
};
auto sliding = [](auto& out) {
  return spate::from_elements(reading{}) | spate::key_by(&reading::sensor)
         | spate::window(spate::sliding(60ms, 20ms), &reading::ts) | spate::count() | spate::collect_into(out);
};
auto session = [](auto& out) {
  return spate::from_elements(reading{}) | spate::key_by(&reading::sensor)
         | spate::window(spate::session(15ms), &reading::ts) | spate::count() | spate::collect_into(out);
};
}  // namespace

TEST_CASE("restore law: watermarks and event-time windows (tumbling, sliding, session)", "[law][snapshot][window]") {
  using result = spate::window_result<int, std::int64_t>;
  auto tumbling = [](auto& out) {
    return spate::from_elements(reading{}) | spate::with_watermarks(&reading::ts, spate::bounded_out_of_orderness(10ms))
           | spate::key_by(&reading::sensor) | spate::window(spate::tumbling(50ms), &reading::ts) | spate::count()
           | spate::collect_into(out);
  };
  check_law<std::vector<result>>(tumbling, false, per_key{});
  check_law<std::vector<result>>(sliding, false, per_key{});
  check_law<std::vector<result>>(session, false, per_key{});
}

namespace {
struct sum_state {
  spate::value_state<long> sum;
};
}  // namespace
BOOST_HANA_ADAPT_STRUCT(sum_state, sum);
namespace {
// A keyed process function with state and event-time timers.
struct sum_on_timer {
  using state_type = sum_state;
  using output_type = std::pair<int, long>;
  void process(const reading& r, auto& ctx, auto& out) {
    sum_state& st = ctx.state();
    st.sum.update(st.sum.value_or(0) + r.value);
    ctx.register_event_time_timer(spate::from_millis(r.ts + 10));
    if (r.value % 3 == 0) out.collect(std::pair<int, long>(ctx.key(), -1));
  }
  void on_timer(spate::event_time, auto& ctx, auto& out) {
    out.collect(std::pair<int, long>(ctx.key(), ctx.state().sum.value_or(0)));
  }
};
}  // namespace

TEST_CASE("rescale law: keyed aggregations, windows and process functions move from P to P'", "[law][snapshot][rescale]") {
  auto processed = [](auto& out) {
    return spate::from_elements(reading{}) | spate::key_by(&reading::sensor) | spate::process(sum_on_timer{}, &reading::ts)
           | spate::collect_into(out);
  };
  using result = spate::window_result<int, std::int64_t>;
  auto counts = [](auto& out) {
    return spate::from_elements(reading{}) | spate::key_by(&reading::sensor) | spate::count() | spate::collect_into(out);
  };
  auto key = [](const reading& r) { return r.sensor; };
  std::mt19937 rng(20261202);
  for (int round = 0; round < 20; ++round) {
    auto events = random_events(rng, false);
    std::size_t cut = events.empty() ? 0 : std::uniform_int_distribution<std::size_t>(0, events.size())(rng);
    for (auto [from, to] : {std::pair<std::size_t, std::size_t>{2, 1}, {2, 3}, {1, 2}, {3, 2}}) {
      spate_laws::rescale_equals_uninterrupted<std::vector<std::pair<int, std::int64_t>>>(counts, events, cut, key, from, to, per_key_pairs{});
      spate_laws::rescale_equals_uninterrupted<std::vector<result>>(tumbling_count, events, cut, key, from, to, per_key{});
      spate_laws::rescale_equals_uninterrupted<std::vector<result>>(sliding, events, cut, key, from, to, per_key{});
      spate_laws::rescale_equals_uninterrupted<std::vector<result>>(session, events, cut, key, from, to, per_key{});
      spate_laws::rescale_equals_uninterrupted<std::vector<std::pair<int, long>>>(processed, events, cut, key, from, to, per_key_pairs{});
    }
  }
}
