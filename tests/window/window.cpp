// window(...) and window_all(...) (window/window.hpp): the descriptor, its
// options (late output, lateness, counters) and how it composes.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "support.hpp"

using namespace std::chrono_literals;
using spate::from_millis;
using namespace spate_test;

TEST_CASE("late_to takes a capturing for_each sink, also on window_all with watermarks", "[window][lateness][late_to]") {
  std::vector<Ev> evs{{"a", 100}, {"a", 5}, {"a", 120}, {"a", 3}};
  std::vector<std::int64_t> late;
  std::vector<spate::all_window_result<std::int64_t>> out;
  // the pipeline of the report: GCC 12's tuple_cat asked whether window_stage is
  // default-constructible, which instantiated `late{}` for a lambda with captures
  spate::run(spate::from_collection(evs) | spate::with_watermarks(&Ev::ts, spate::monotonous()) |
             spate::window_all(spate::tumbling(10ms), &Ev::ts).late_to(spate::for_each([&](const Ev& e) {
               late.push_back(e.ts);
             })) |
             spate::count() | spate::collect_into(out));
  CHECK(late == std::vector<std::int64_t>{5, 3});
  CHECK(out == std::vector<spate::all_window_result<std::int64_t>>{{from_millis(100), from_millis(110), 1},
                                                                   {from_millis(120), from_millis(130), 1}});
}

TEST_CASE("allowed lateness re-fires, later records go to the late output", "[window][lateness]") {
  // [doc:lateness]
  spate::script<Ev> s;
  s.record({"a", 100})
      .watermark(from_millis(999))   // [0,1000) fires: 1
      .record({"a", 200})            // late but within 500ms: fires again with 2
      .watermark(from_millis(1499))  // lateness over: state dropped
      .record({"a", 300});           // too late: to the late output
  std::vector<std::string> log;
  std::vector<Ev> late;
  std::uint64_t late_count = 0;
  spate::run(spate::from_script(s) | spate::key_by(&Ev::user) |
             spate::window(spate::tumbling(1s), &Ev::ts)
                 .allowed_lateness(500ms)
                 .late_to(spate::collect_into(late))
                 .count_late_into(late_count) |
             spate::count() | log_into(log));
  CHECK(log == std::vector<std::string>{"(a, [0, 1000), 1)", "W999", "(a, [0, 1000), 2)", "W1499", "Wmax", "end"});
  REQUIRE(late.size() == 1);
  CHECK(late[0].ts == 300);
  CHECK(late_count == 1);
  // [end]
}

TEST_CASE("late records without a late sink are counted", "[window][lateness]") {
  spate::script<Ev> s;
  s.record({"a", 1500}).watermark(from_millis(2000)).record({"a", 100}).record({"a", 2500});
  std::vector<wr> out;
  std::uint64_t n = 0;
  spate::run(spate::from_script(s) | spate::key_by(&Ev::user) |
             spate::window(spate::tumbling(1s), &Ev::ts).count_late_into(n) | spate::count() |
             spate::collect_into(out));
  CHECK(n == 1);
  CHECK(out.size() == 2);
}

TEST_CASE("a reusable chain key_by | window | function composes like the inline form", "[window][chain]") {
  std::vector<Ev> evs{{"a", 100}, {"a", 200}, {"b", 1100}};
  auto per_second = spate::key_by(&Ev::user) | spate::window(spate::tumbling(1s), &Ev::ts) | spate::count();
  auto out = fused_and_unfused<spate::window_result<std::string, std::int64_t>>(
      [&](auto& o) { return spate::from_collection(evs) | per_second | spate::collect_into(o); });
  CHECK(out.size() == 2);
  CHECK(out[0].value == 2);
  // micro-batch execution gives the same windows (law: batch == continuous, compacted)
  std::vector<spate::window_result<std::string, std::int64_t>> batch;
  spate::run_batch(spate::from_collection(evs) | per_second | spate::collect_into(batch));
  CHECK(batch == out);
}

TEST_CASE("window_all: windows over the whole stream", "[window][all]") {
  std::vector<Ev> evs{{"a", 100}, {"b", 200}, {"c", 1100}};
  using ar = spate::all_window_result<std::int64_t>;
  auto out = fused_and_unfused<ar>([&](auto& o) {
    return spate::from_collection(evs) | spate::window_all(spate::tumbling(1s), &Ev::ts) | spate::count() |
           spate::collect_into(o);
  });
  CHECK(out == std::vector<ar>{{from_millis(0), from_millis(1000), 2}, {from_millis(1000), from_millis(2000), 1}});
}

TEST_CASE("processing-time windows fire on ticks of the (manual) clock", "[window][processing]") {
  spate::manual_clock clock;
  spate::script<Ev> s;
  clock.set(from_millis(10));
  s.tick(clock.now()).record({"a", 0}).record({"a", 0});
  clock.advance(995ms);  // 1005: [0,1000) is over
  s.tick(clock.now()).record({"a", 0});
  clock.advance(1s);
  s.tick(clock.now());
  std::vector<std::string> log;
  spate::run(spate::from_script(s) | spate::key_by(&Ev::user) |
             spate::window(spate::tumbling(1s).on_processing_time()) | spate::count() | log_into(log, false));
  CHECK(log == std::vector<std::string>{"(a, [0, 1000), 2)", "(a, [1000, 2000), 1)", "end"});
}

TEST_CASE("processing-time sessions and whole-stream count windows", "[window][processing][count]") {
  spate::script<Ev> s;
  s.tick(from_millis(0)).record({"a", 0}).tick(from_millis(300)).record({"a", 0}).tick(from_millis(2000))
      .record({"a", 0}).tick(from_millis(5000));
  std::vector<std::string> log;
  spate::run(spate::from_script(s) | spate::key_by(&Ev::user) |
             spate::window(spate::session(1s).on_processing_time()) | spate::count() | log_into(log, false));
  CHECK(log == std::vector<std::string>{"(a, [0, 1300), 2)", "(a, [2000, 3000), 1)", "end"});

  std::vector<Ev> evs(7, Ev{"x", 0});
  using ar = spate::all_window_result<std::int64_t>;
  auto out = fused_and_unfused<ar>([&](auto& o) {
    return spate::from_collection(evs) | spate::window_all(spate::count_window(3)) | spate::count() |
           spate::collect_into(o);
  });
  CHECK(out == std::vector<ar>{{{}, {}, 3}, {{}, {}, 3}});
}
