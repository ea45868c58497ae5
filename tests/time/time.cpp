// Event time and watermarks: strategies, per-record and periodic emission,
// idleness, the final watermark, and timestamp functions of several types.
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <spate/spate.hpp>
#include <spate/window.hpp>

#include "../window/log_sink.hpp"

using namespace std::chrono_literals;
using spate::from_millis;
using spate_test::log_into;

namespace {
struct Ev {
  std::int64_t ts;
  friend std::ostream& operator<<(std::ostream& os, const Ev& e) { return os << e.ts; }
};
// A sink that also reports idleness, as a union/merge would use it.
struct idle_log : spate_test::log_sink {
  struct built : spate_test::log_sink::built {
    void on_idle(bool idle) { log->push_back(idle ? "idle" : "active"); }
  };
  template <class Flow, class Env>
  built build(Env&, spate::stage_label) const { return {{log, watermarks}}; }
};
}  // namespace

TEST_CASE("bounded out-of-orderness: watermark = max - bound - 1ms, per record", "[time][watermark]") {
  // [doc:bounded]
  std::vector<Ev> evs{{1000}, {3000}, {2000}, {3200}};
  std::vector<std::string> log;
  spate::run(spate::from_collection(evs) | spate::with_watermarks(&Ev::ts, spate::bounded_out_of_orderness(500ms)) |
             spate::map([](const Ev& e) { return e.ts; }) | log_into(log));
  CHECK(log == std::vector<std::string>{"1000", "W499", "3000", "W2499", "2000", "3200", "W2699", "Wmax", "end"});
  // [end]
  std::vector<std::string> unfused;
  spate::run_unfused(spate::from_collection(evs) |
                     spate::with_watermarks(&Ev::ts, spate::bounded_out_of_orderness(500ms)) |
                     spate::map([](const Ev& e) { return e.ts; }) | log_into(unfused));
  CHECK(log == unfused);
}

TEST_CASE("monotonous timestamps: watermark = max - 1ms", "[time][watermark]") {
  std::vector<Ev> evs{{10}, {20}};
  std::vector<std::string> log;
  spate::run(spate::from_collection(evs) | spate::with_watermarks(&Ev::ts, spate::monotonous()) |
             spate::map([](const Ev& e) { return e.ts; }) | log_into(log));
  CHECK(log == std::vector<std::string>{"10", "W9", "20", "W19", "Wmax", "end"});
}

TEST_CASE("periodic watermarks are emitted on ticks of processing time", "[time][watermark]") {
  spate::script<Ev> s;
  s.tick(from_millis(0)).record({100}).record({200}).tick(from_millis(500)).record({300}).tick(from_millis(1000))
      .tick(from_millis(1500)).record({400}).tick(from_millis(2000));
  std::vector<std::string> log;
  spate::run(spate::from_script(s) | spate::with_watermarks(&Ev::ts, spate::monotonous()).periodic(1s) |
             spate::map([](const Ev& e) { return e.ts; }) | log_into(log));
  // the first tick at 0 finds nothing; 1000 emits 299; 2000 emits 399
  CHECK(log == std::vector<std::string>{"100", "200", "300", "W299", "400", "W399", "Wmax", "end"});
}

TEST_CASE("custom watermark strategy", "[time][watermark]") {
  // [doc:custom]
  // Watermarks only from records that carry them (a punctuated strategy):
  // here every timestamp that is a multiple of 1000 is a promise.
  struct punctuated {
    spate::event_time w = spate::min_watermark;
    void on_event(spate::event_time t) {
      if (spate::to_millis(t) % 1000 == 0) w = std::max(w, t);
    }
    spate::event_time current() const { return w; }
  };
  std::vector<Ev> evs{{100}, {1000}, {1500}, {2000}};
  std::vector<std::string> log;
  spate::run(spate::from_collection(evs) | spate::with_watermarks(&Ev::ts, punctuated{}) |
             spate::map([](const Ev& e) { return e.ts; }) | log_into(log));
  CHECK(log == std::vector<std::string>{"100", "1000", "W1000", "1500", "2000", "W2000", "Wmax", "end"});
  // [end]
}

TEST_CASE("an input idle for the idleness timeout says so through on_idle", "[time][idle]") {
  spate::script<Ev> s;
  // The record is stamped by the tick after it (400): idle from 1400 on, so
  // at the tick of 1500, not at 1000 (a record may have come just before 400).
  s.tick(from_millis(0)).record({1}).tick(from_millis(400)).tick(from_millis(1000)).tick(from_millis(1300))
      .tick(from_millis(1500)).record({2});
  std::vector<std::string> log;
  spate::run(spate::from_script(s) | spate::with_watermarks(&Ev::ts, spate::monotonous()).with_idleness(1s) |
             idle_log{{{}, &log, false}});
  CHECK(log.size() == 5);
  CHECK(log[1] == "idle");
  CHECK(log[2] == "active");
}

TEST_CASE("timestamps: event_time, chrono durations and integer milliseconds", "[time][timestamp]") {
  struct A {
    spate::event_time t;
    std::chrono::seconds s;
    long ms;
  };
  A a{from_millis(5), std::chrono::seconds(2), 7};
  CHECK(spate::timestamp_of(&A::t, a) == from_millis(5));
  CHECK(spate::timestamp_of(&A::s, a) == from_millis(2000));
  CHECK(spate::timestamp_of(&A::ms, a) == from_millis(7));
  CHECK(spate::timestamp_of([](const A& x) { return x.ms * 2; }, a) == from_millis(14));
  spate::manual_clock c;
  c.advance(3s);
  CHECK(c.now() == from_millis(3000));
}

TEST_CASE("watermarks flow through fused stages into windows", "[time][window]") {
  std::vector<Ev> evs{{100}, {1500}, {2600}};
  std::vector<std::string> log;
  spate::run(spate::from_collection(evs) | spate::with_watermarks(&Ev::ts, spate::bounded_out_of_orderness(0ms)) |
             spate::filter([](const Ev&) { return true; }) | spate::window_all(spate::tumbling(1s), &Ev::ts) |
             spate::count() | log_into(log));
  CHECK(log == std::vector<std::string>{"W99", "([0, 1000), 1)", "W1499", "([1000, 2000), 1)", "W2599",
                                        "([2000, 3000), 1)", "Wmax", "end"});
}
