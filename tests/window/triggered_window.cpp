// Triggers and evictors on time windows (window/triggered_window.hpp):
// window(a).trigger(t) and .evictor(e) on tumbling, sliding and session
// windows; golden cases worked out from Flink's WindowOperator and its
// triggers and evictors, each run fused and unfused.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include <spate/exec.hpp>

#include "laws.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using spate::from_millis;
using namespace spate_test;

namespace {
// The log of a job (results and watermarks in arrival order), fused and unfused.
template <class Make>
std::vector<std::string> logged(Make make) {
  std::vector<std::string> a, b;
  spate::run(make(a));
  spate::run_unfused(make(b));
  CHECK(a == b);  // law: fused == unfused
  return a;
}
template <class Window>
std::vector<std::string> counts_of(const spate::script<Ev>& s, Window w) {
  return logged([&](std::vector<std::string>& log) {
    return spate::from_script(s) | spate::key_by(&Ev::user) | w | spate::count() | log_into(log);
  });
}
using strings = std::vector<std::string>;

// The values a window's function saw, in order: "v v v".
const auto values = [](const std::string&, spate::time_window, const std::vector<Ev>& rs) {
  std::string s;
  for (const Ev& e : rs) s += (s.empty() ? "" : " ") + std::to_string(e.v);
  return s;
};
}  // namespace

TEST_CASE("continuous_event_time fires every interval of event time, then at the window's end",
          "[window][trigger][continuous]") {
  // [doc:continuous]
  spate::script<Ev> s;
  s.record({"a", 100}).record({"a", 200})  // first firing: 100 - 100 % 300 + 300 = 300
   .watermark(from_millis(299))
   .watermark(from_millis(300))            // fires (2); next 600
   .record({"a", 650})
   .watermark(from_millis(700))            // fires at 600 (3); next 900
   .watermark(from_millis(999));           // fires at 900, then at the end, 999
  auto log = counts_of(s, spate::window(spate::tumbling(1s), &Ev::ts).trigger(spate::continuous_event_time(300ms)));
  CHECK(log == strings{"W299", "(a, [0, 1000), 2)", "W300", "(a, [0, 1000), 3)", "W700", "(a, [0, 1000), 3)",
                       "(a, [0, 1000), 3)", "W999", "Wmax", "end"});
  // [end]
  SECTION("purging: each firing takes what came since the last") {
    auto p = counts_of(
        s, spate::window(spate::tumbling(1s), &Ev::ts).trigger(spate::purging(spate::continuous_event_time(300ms))));
    CHECK(p == strings{"W299", "(a, [0, 1000), 2)", "W300", "(a, [0, 1000), 1)", "W700", "W999", "Wmax", "end"});
  }
  SECTION("a record for a window past its end fires it at once (within allowed lateness)") {
    spate::script<Ev> l;
    l.record({"a", 100}).watermark(from_millis(1200)).record({"a", 300}).watermark(from_millis(1600))
     .record({"a", 400});
    auto log2 = counts_of(l, spate::window(spate::tumbling(1s), &Ev::ts)
                                 .allowed_lateness(500ms)
                                 .trigger(spate::continuous_event_time(300ms)));
    // at 1200: the timer at 300, then 600, 900 (each fires), then 999 (the end)
    CHECK(log2 == strings{"(a, [0, 1000), 1)", "(a, [0, 1000), 1)", "(a, [0, 1000), 1)", "(a, [0, 1000), 1)",
                          "W1200", "(a, [0, 1000), 2)", "W1600", "Wmax", "end"});
  }
}

TEST_CASE("continuous_event_time on sliding and session windows", "[window][trigger][continuous]") {
  SECTION("sliding: each window its own firings") {
    spate::script<Ev> s;
    s.record({"a", 600}).watermark(from_millis(1000)).watermark(from_millis(1999));
    auto log = counts_of(s, spate::window(spate::sliding(2s, 1s), &Ev::ts).trigger(spate::continuous_event_time(1s)));
    // [-1000,1000): next min(1000, 999) = 999 == its end: one firing at 999.
    // [0,2000): 1000, then its end 1999.
    CHECK(log == strings{"(a, [-1000, 1000), 1)", "(a, [0, 2000), 1)", "W1000", "(a, [0, 2000), 1)", "W1999",
                         "Wmax", "end"});
  }
  SECTION("session: merged windows keep the earliest next firing") {
    spate::script<Ev> s;
    s.record({"a", 0})       // [0, 1000): next 500
     .record({"a", 700})     // merges: [0, 1700), next 500
     .watermark(from_millis(600))
     .watermark(from_millis(1699));
    auto log = counts_of(s, spate::window(spate::session(1s), &Ev::ts).trigger(spate::continuous_event_time(500ms)));
    CHECK(log == strings{"(a, [0, 1700), 2)", "W600", "(a, [0, 1700), 2)", "(a, [0, 1700), 2)", "(a, [0, 1700), 2)",
                         "W1699", "Wmax", "end"});
  }
}

TEST_CASE("count triggers replace the window's end: Flink's CountTrigger never fires on time",
          "[window][trigger][count]") {
  // [doc:count]
  spate::script<Ev> s;
  s.record({"a", 100}).record({"a", 200})  // the 2nd record fires
   .record({"a", 300})                     // one left: never fired,
   .watermark(from_millis(999))            // not at the end either: the window is cleaned up
   .record({"a", 1100}).record({"a", 1200}).record({"a", 1300}).record({"a", 1400});
  auto log = counts_of(s, spate::window(spate::tumbling(1s), &Ev::ts).trigger(spate::every_n(2)));
  CHECK(log == strings{"(a, [0, 1000), 2)", "W999", "(a, [1000, 2000), 2)", "(a, [1000, 2000), 4)", "Wmax", "end"});
  auto purged =
      counts_of(s, spate::window(spate::tumbling(1s), &Ev::ts).trigger(spate::purging(spate::every_n(2))));
  CHECK(purged ==
        strings{"(a, [0, 1000), 2)", "W999", "(a, [1000, 2000), 2)", "(a, [1000, 2000), 2)", "Wmax", "end"});
  // [end]
  SECTION("allowed lateness and the late output still work") {
    spate::script<Ev> l;
    l.record({"a", 100}).watermark(from_millis(999)).record({"a", 200})  // 2: fires
     .watermark(from_millis(1499))                                       // cleaned up
     .record({"a", 300});                                                 // late
    std::vector<std::string> log2;
    std::vector<Ev> late;
    spate::run(spate::from_script(l) | spate::key_by(&Ev::user) |
               spate::window(spate::tumbling(1s), &Ev::ts)
                   .allowed_lateness(500ms)
                   .late_to(spate::collect_into(late))
                   .trigger(spate::every_n(2)) |
               spate::count() | log_into(log2));
    CHECK(log2 == strings{"W999", "(a, [0, 1000), 2)", "W1499", "Wmax", "end"});
    REQUIRE(late.size() == 1);
    CHECK(late[0].ts == 300);
  }
  SECTION("sessions add their counts when they merge") {
    spate::script<Ev> m;
    m.record({"a", 0}).record({"a", 5000})  // two sessions, one record each
     .record({"a", 2500})                   // joins them: count 1 + 1, then + 1 = 3: fires
     .record({"a", 2600});
    auto log3 = counts_of(m, spate::window(spate::session(3s), &Ev::ts).trigger(spate::every_n(3)));
    CHECK(log3 == strings{"(a, [0, 8000), 3)", "Wmax", "end"});
  }
  SECTION("sliding: every window counts its own records") {
    spate::script<Ev> m;
    m.record({"a", 1500}).record({"a", 1600});
    auto log4 = counts_of(m, spate::window(spate::sliding(2s, 1s), &Ev::ts).trigger(spate::every_n(2)));
    CHECK(log4 == strings{"(a, [1000, 3000), 2)", "(a, [0, 2000), 2)", "Wmax", "end"});  // newest first
  }
}

TEST_CASE("continuous_processing_time fires on processing time", "[window][trigger][processing]") {
  spate::script<Ev> s;
  s.tick(from_millis(100)).record({"a", 0}).record({"a", 0})  // first firing: 0 + 300
   .tick(from_millis(301))                                    // 300 passed: fires (2)
   .record({"a", 0})
   .tick(from_millis(1000));                                  // 600, 900 and the end, 999
  auto log = counts_of(
      s, spate::window(spate::tumbling(1s).on_processing_time()).trigger(spate::continuous_processing_time(300ms)));
  CHECK(log == strings{"(a, [0, 1000), 2)", "(a, [0, 1000), 3)", "(a, [0, 1000), 3)", "(a, [0, 1000), 3)", "Wmax",
                       "end"});
  SECTION("on an event-time window: early results on processing time, the window closed by event time") {
    spate::script<Ev> e;
    e.tick(from_millis(0)).record({"a", 5000}).tick(from_millis(600)).record({"a", 5100}).tick(from_millis(900))
     .watermark(from_millis(5999));
    auto log2 = counts_of(
        e, spate::window(spate::tumbling(1s), &Ev::ts).trigger(spate::continuous_processing_time(500ms)));
    CHECK(log2 == strings{"(a, [5000, 6000), 1)", "W5999", "Wmax", "end"});
  }
}

namespace {
// [doc:user_trigger]
// Fires early for every record over 10, and at the window's end: a trigger of
// one's own, in Flink's terms (on_element, on_event_time, timers through the
// context). Stateless, so it merges trivially (session windows need on_merge).
struct early_on_big {
  using state = spate::no_trigger_state;
  spate::trigger_result on_element(state&, const Ev& e, spate::event_time, spate::trigger_context& c) const {
    c.register_event_time_timer(c.window().max_timestamp());
    return e.v > 10 ? spate::trigger_result::fire : spate::trigger_result::pass;
  }
  spate::trigger_result on_event_time(state&, spate::event_time t, spate::trigger_context& c) const {
    return t == c.window().max_timestamp() ? spate::trigger_result::fire : spate::trigger_result::pass;
  }
  void on_merge(state&, std::span<const state>, spate::trigger_context& c) const {
    c.register_event_time_timer(c.window().max_timestamp());
  }
};
// [end]
}  // namespace

TEST_CASE("user triggers: on_element, on_event_time and timers of their window", "[window][trigger][user]") {
  // [doc:user_trigger_use]
  spate::script<Ev> s;
  s.record({"a", 100, 1}).record({"a", 200, 50}).record({"a", 300, 2}).watermark(from_millis(999));
  auto log = logged([&](std::vector<std::string>& out) {
    return spate::from_script(s) | spate::key_by(&Ev::user) |
           spate::window(spate::tumbling(1s), &Ev::ts).trigger(early_on_big{}) | spate::fold(0L, sum_v) |
           log_into(out);
  });
  CHECK(log == strings{"(a, [0, 1000), 51)", "(a, [0, 1000), 53)", "W999", "Wmax", "end"});
  // [end]
  auto sessions = logged([&](std::vector<std::string>& out) {
    return spate::from_script(s) | spate::key_by(&Ev::user) |
           spate::window(spate::session(150ms), &Ev::ts).trigger(early_on_big{}) | spate::reduce(add_ev) |
           spate::map([](const auto& r) { return r.value.v; }) | log_into(out);
  });
  CHECK(sessions == strings{"51", "53", "W999", "Wmax", "end"});
}

TEST_CASE("evictors: count and time, before or after the function", "[window][evictor]") {
  spate::script<Ev> s;
  s.record({"a", 100, 1}).record({"a", 200, 2}).record({"a", 300, 3}).watermark(from_millis(999))
   .record({"a", 400, 4});  // within allowed lateness: fires again
  auto run = [&](auto window) {
    std::vector<std::string> out;
    auto job = [&](std::vector<std::string>& o) {
      return spate::from_script(s) | spate::key_by(&Ev::user) | window.allowed_lateness(1s) | spate::process(values) |
             spate::map([](const auto& r) { return r.value; }) | log_into(o, false);
    };
    return logged(job);
  };
  // [doc:evictors]
  auto w = spate::window(spate::tumbling(1s), &Ev::ts);
  CHECK(run(w.evictor(spate::count_evictor(2))) == strings{"2 3", "3 4", "end"});
  CHECK(run(w.evictor(spate::count_evictor(2, spate::evict_when::after))) == strings{"1 2 3", "2 3 4", "end"});
  CHECK(run(w.evictor(spate::time_evictor(150ms))) == strings{"2 3", "3 4", "end"});  // ts <= newest - 150 go
  // [end]
  SECTION("with a trigger: evicted records are gone for the later firings") {
    CHECK(run(w.trigger(spate::every_n(2)).evictor(spate::count_evictor(1))) == strings{"2", "4", "end"});
  }
  SECTION("on processing time: the default trigger fires at the window's end") {
    spate::script<Ev> p;
    p.tick(from_millis(100)).record({"a", 0, 1}).record({"a", 0, 2}).record({"a", 0, 3}).tick(from_millis(999))
     .record({"a", 0, 4}).tick(from_millis(1000)).record({"a", 0, 5});
    std::vector<std::string> out;
    spate::run(spate::from_script(p) | spate::key_by(&Ev::user) |
               spate::window(spate::tumbling(1s).on_processing_time()).evictor(spate::count_evictor(2)) |
               spate::process(values) | spate::map([](const auto& r) { return r.value; }) | log_into(out, false));
    CHECK(out == strings{"3 4", "5", "end"});  // [0, 1000) at tick 1000; [1000, 2000) at the end of input
  }
  SECTION("on sessions: the merged session's records, by session start") {
    spate::script<Ev> m;
    m.record({"a", 1000, 1}).record({"a", 0, 2}).record({"a", 500, 3});
    std::vector<std::string> out;
    spate::run(spate::from_script(m) | spate::key_by(&Ev::user) |
               spate::window(spate::session(600ms), &Ev::ts).evictor(spate::count_evictor(2)) |
               spate::process(values) | spate::map([](const auto& r) { return r.value; }) | log_into(out, false));
    CHECK(out == strings{"1 3", "end"});  // [0, 1600): 2, then 1, then 3 added: the last two kept
  }
}

TEST_CASE("window_all takes triggers too", "[window][trigger][all]") {
  spate::script<Ev> s;
  s.record({"a", 100}).record({"b", 200}).record({"c", 300}).watermark(from_millis(999));
  auto log = logged([&](std::vector<std::string>& out) {
    return spate::from_script(s) | spate::window_all(spate::tumbling(1s), &Ev::ts).trigger(spate::every_n(2)) |
           spate::count() | log_into(out);
  });
  CHECK(log == strings{"([0, 1000), 2)", "W999", "Wmax", "end"});
}

namespace {
struct click {
  int user;
  std::int64_t ts;
};
// Rising timestamps with jitter below the out-of-orderness: no record is
// late however the input is split into shards.
std::vector<click> clicks(std::uint32_t seed) {
  std::vector<click> in(1500);
  std::uint64_t x = seed;
  std::int64_t t = 1'000'000;
  for (auto& c : in) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    t += static_cast<std::int64_t>((x >> 33) % 4);
    c = {static_cast<int>((x >> 40) % 7), t - static_cast<std::int64_t>((x >> 50) % 6)};
  }
  return in;
}
using click_count = spate::window_result<int, std::int64_t>;
template <class W>
auto click_job(const std::vector<click>& in, W w) {
  return [&in, w](std::vector<click_count>& out) {
    return spate::from_collection(in) | spate::with_watermarks(&click::ts, spate::bounded_out_of_orderness(10ms)) |
           spate::key_by(&click::user) | w | spate::count() | spate::collect_into(out);
  };
}
// Each window's results in their order (windows of one key due at one
// watermark may come in any order).
struct per_window {
  std::vector<click_count> operator()(std::vector<click_count> v) const {
    std::stable_sort(v.begin(), v.end(), [](const click_count& a, const click_count& b) {
      return std::tie(a.key, a.start, a.end) < std::tie(b.key, b.start, b.end);
    });
    return v;
  }
};
// Each window's last result. Which records an early firing holds depends on
// how shards interleave records and watermarks; the firing at the end holds
// all of the window's records.
struct last_per_window {
  std::vector<click_count> operator()(std::vector<click_count> v) const {
    v = per_window{}(std::move(v));
    std::vector<click_count> r;
    for (std::size_t i = 0; i < v.size(); ++i)
      if (i + 1 == v.size() || v[i + 1].key != v[i].key || v[i + 1].start != v[i].start) r.push_back(v[i]);
    return r;
  }
};
// Sessions: only the sessions that were not merged into a larger one later
// (an early firing of a session that then grew depends on the interleaving).
struct last_per_final_session {
  std::vector<click_count> operator()(std::vector<click_count> v) const {
    v = last_per_window{}(std::move(v));
    std::vector<click_count> r;
    for (const click_count& a : v) {
      bool inside = std::any_of(v.begin(), v.end(), [&](const click_count& b) {
        return b.key == a.key && b.start <= a.start && a.end <= b.end && (b.start != a.start || b.end != a.end);
      });
      if (!inside) r.push_back(a);
    }
    return r;
  }
};
}  // namespace

TEST_CASE("micro-batch == continuous for event-time triggers", "[window][trigger][law]") {
  const auto in = clicks(7);
  auto check = [&](auto make) {
    std::vector<click_count> sequential;
    spate::run(make(sequential));
    REQUIRE(sequential.size() > 100);
    for (bool batched : {false, true}) {
      INFO((batched ? "micro-batch" : "continuous") << ", parallelism 1");
      std::vector<click_count> out;
      auto ctx = batched ? std::make_unique<spate::context>(spate::micro_batch{20ms}, spate::parallelism{1})
                         : std::make_unique<spate::context>(spate::continuous{}, spate::parallelism{1});
      ctx->add(make(out));
      ctx->start();
      ctx->await_termination();
      CHECK(per_window{}(out) == per_window{}(sequential));  // every firing, early ones included
    }
  };
  check(click_job(in, spate::window(spate::tumbling(50ms), &click::ts).trigger(spate::continuous_event_time(15ms))));
  check(click_job(in, spate::window(spate::sliding(60ms, 20ms), &click::ts)
                          .trigger(spate::purging(spate::continuous_event_time(7ms)))));
  check(click_job(in, spate::window(spate::session(3ms), &click::ts).trigger(spate::continuous_event_time(10ms))));
}

TEST_CASE("parallel == sequential for triggered windows", "[window][trigger][law]") {
  const auto in = clicks(11);
  // count triggers with count(): the same firings whatever the record order
  spate_laws::parallel_equals_sequential<std::vector<click_count>>(
      click_job(in, spate::window(spate::tumbling(50ms), &click::ts).trigger(spate::every_n(5))), per_window{});
  spate_laws::parallel_equals_sequential<std::vector<click_count>>(
      click_job(in, spate::window(spate::sliding(60ms, 20ms), &click::ts).trigger(spate::purging(spate::every_n(3)))),
      per_window{});
  // continuous triggers: the firing at each window's end
  spate_laws::parallel_equals_sequential<std::vector<click_count>>(
      click_job(in, spate::window(spate::tumbling(50ms), &click::ts).trigger(spate::continuous_event_time(15ms))),
      last_per_window{});
  spate_laws::parallel_equals_sequential<std::vector<click_count>>(
      click_job(in, spate::window(spate::session(3ms), &click::ts).trigger(spate::continuous_event_time(10ms))),
      last_per_final_session{});
}
