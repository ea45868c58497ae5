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

namespace {
struct Click {
  int user = 0;
  spate::event_time ts{};
};
// Emits each record's ctx.timestamp() in milliseconds.
struct stamp_of {
  using output_type = std::int64_t;
  void process(const Click&, auto& ctx, auto& out) { out(spate::to_millis(ctx.timestamp())); }
};
}  // namespace

TEST_CASE("timestamps travel: windows and process functions after with_watermarks need no timestamp again",
          "[time][timestamp][window]") {
  std::vector<Click> clicks;
  for (int i = 0; i < 200; ++i) clicks.push_back({i % 3, from_millis((i * 37) % 1000 + i * 5)});
  using result = spate::window_result<int, std::int64_t>;
  auto timed = [&] {
    return spate::from_collection(clicks) | spate::with_watermarks(&Click::ts, spate::bounded_out_of_orderness(1s));
  };
  std::vector<result> told, travelled, in_chain;
  spate::run(timed() | spate::key_by(&Click::user) | spate::window(spate::tumbling(100ms), &Click::ts) | spate::count()
             | spate::collect_into(told));
  // [doc:travel]
  spate::run(spate::from_collection(clicks) | spate::with_watermarks(&Click::ts, spate::bounded_out_of_orderness(1s))
             | spate::key_by(&Click::user) | spate::window(spate::tumbling(100ms)) | spate::count()  // no &Click::ts
             | spate::collect_into(travelled));
  // [end]
  auto per_window = spate::window(spate::tumbling(100ms)) | spate::count();  // a reusable piece, no timestamp
  spate::run(timed() | spate::key_by(&Click::user) | per_window | spate::collect_into(in_chain));
  REQUIRE(!told.empty());
  CHECK(travelled == told);
  CHECK(in_chain == told);
  std::int64_t total = 0;
  for (const auto& r : travelled) total += r.value;
  CHECK(total == 200);  // nothing late, nothing lost

  // window_all too; and a timestamp given to the stage is used as given.
  std::vector<spate::window_result<spate::no_key, std::int64_t>> all_told, all_travelled, shifted;
  spate::run(timed() | spate::window_all(spate::tumbling(100ms), &Click::ts) | spate::count() | spate::collect_into(all_told));
  spate::run(timed() | spate::window_all(spate::tumbling(100ms)) | spate::count() | spate::collect_into(all_travelled));
  CHECK(all_travelled == all_told);
  spate::run(timed()
             | spate::window_all(spate::tumbling(100ms), [](const Click& c) { return c.ts + std::chrono::milliseconds(50); })
             | spate::count() | spate::collect_into(shifted));
  CHECK(shifted != all_told);
  std::int64_t shifted_total = 0;
  for (const auto& r : shifted) shifted_total += r.value;
  CHECK(shifted_total == 200);

  // process(f): ctx.timestamp() is the record's event time.
  std::vector<std::int64_t> stamps;
  spate::run(timed() | spate::key_by(&Click::user) | spate::process(stamp_of{}) | spate::collect_into(stamps));
  std::vector<std::int64_t> expected;
  for (const auto& c : clicks) expected.push_back(spate::to_millis(c.ts));
  CHECK(stamps == expected);
}
