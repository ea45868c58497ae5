// Broadcast state (join/broadcast.hpp): every parallel instance reads the
// whole broadcast input and keeps the same state; it is snapshotted and
// restored (also at another parallelism, to every instance).
#include <catch2/catch.hpp>

#include "join_support.hpp"
#include "laws.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

using namespace std::chrono_literals;

namespace {
struct reading {
  std::string sensor;
  double value = 0;
};
struct rule {
  std::string sensor;
  double limit = 0;
};
// A reading above its sensor's limit is an alert; a rule is echoed as
// "rule <sensor>" by every instance that receives it.
// [doc:broadcast_fn]
struct apply_limits {
  using broadcast_state_type = std::map<std::string, double>;  // sensor -> limit
  using output_type = std::string;
  void process_element(const reading& r, const auto& ctx, auto& out) {
    const auto& limits = ctx.broadcast_state();
    if (auto it = limits.find(r.sensor); it != limits.end() && r.value > it->second)
      out(r.sensor + " above " + std::to_string(int(it->second)));
  }
  void process_broadcast(const rule& r, auto& ctx, auto& out) {
    ctx.broadcast_state()[r.sensor] = r.limit;
    out("rule " + r.sensor);
  }
};
// [end]
}  // namespace

TEST_CASE("broadcast_process: rules steer the data stream (golden)", "[joins][broadcast]") {
  // [doc:broadcast]
  std::vector<reading> readings{{"t1", 50}, {"t1", 90}, {"t2", 30}, {"t2", 70}};
  std::vector<rule> rules{{"t1", 80}, {"t2", 60}};
  std::vector<std::string> out;
  // turn(1): the inputs are read one record at a time, taking turns, so the
  // first reading comes before any rule
  spate::run(spate::connect(spate::from_collection(readings), spate::broadcast(spate::from_collection(rules))).turn(1) |
             spate::broadcast_process(apply_limits{}) | spate::collect_into(out));
  // out: "rule t1", "t1 above 80", "rule t2", "t2 above 60" (t1 at 50 came before any rule)
  // [end]
  CHECK(out == std::vector<std::string>{"rule t1", "t1 above 80", "rule t2", "t2 above 60"});
}

TEST_CASE("broadcast_process: every parallel instance receives every broadcast record", "[joins][broadcast]") {
  std::vector<reading> readings;
  for (int i = 0; i < 600; ++i) readings.push_back({"s" + std::to_string(i % 5), double(i % 100)});
  std::vector<rule> rules{{"s0", 10}, {"s1", 20}, {"s2", 30}};
  for (std::size_t p : {std::size_t(1), std::size_t(2), std::size_t(3)})
    for (bool batched : {false, true}) {
      INFO("parallelism " << p << (batched ? ", micro-batch" : ", continuous"));
      std::vector<std::string> out;
      auto ctx = batched ? std::make_unique<spate::context>(spate::micro_batch{20ms}, spate::parallelism{p})
                         : std::make_unique<spate::context>(spate::continuous{}, spate::parallelism{p});
      ctx->add(spate::connect(spate::from_collection(readings), spate::broadcast(spate::from_collection(rules))) |
               spate::broadcast_process(apply_limits{}) | spate::collect_into(out));
      ctx->start();
      ctx->await_termination();
      CHECK(std::count(out.begin(), out.end(), "rule s0") == std::ptrdiff_t(p));
      CHECK(std::count(out.begin(), out.end(), "rule s2") == std::ptrdiff_t(p));
      // alerts depend on when each instance saw the rules, but never exceed
      // the readings above their limits
      CHECK(std::count(out.begin(), out.end(), "s0 above 10") <= 120 - 2 * 6);
    }
}

TEST_CASE("broadcast_process: the broadcast state is snapshotted and restored", "[joins][broadcast][laws]") {
  using E = spate::either<reading, rule>;
  using out_t = std::vector<std::string>;
  std::vector<spate_laws::event<E>> events{E::second_of({"a", 5}), E::first_of({"a", 7}), E::first_of({"b", 7}),
                                           E::second_of({"b", 6}), E::first_of({"a", 4}), E::first_of({"b", 9}),
                                           E::second_of({"a", 1}), E::first_of({"a", 4})};
  auto make = [](out_t& o) {
    return spate::from_collection(std::vector<E>{}) | spate::broadcast_process(apply_limits{}) | spate::collect_into(o);
  };
  for (std::size_t cut = 0; cut < events.size(); ++cut) spate_laws::restore_equals_uninterrupted<out_t>(make, events, cut);

  // at another parallelism every instance takes the (same) state
  spate::rolling_env env;
  out_t o1, o2;
  auto a = spate::fuse::build(env, make(o1));
  a.push(E::second_of({"a", 5}));
  std::string snap;
  a.snapshot(snap);
  for (std::size_t w = 0; w < 3; ++w) {
    auto b = spate::fuse::build(env, make(o2));
    REQUIRE(b.restore_rescaled({snap, snap}, spate::key_groups{}.range_of(w, 3)));
    CHECK(b.broadcast_state() == std::map<std::string, double>{{"a", 5}});
  }
}

namespace {
// Keyed (Flink's KeyedBroadcastProcessFunction): per sensor the highest
// reading so far (keyed state) and one event-time timer; when it fires, at
// the end of input, every rule has reached every instance, so the verdict
// against the sensor's limit (broadcast state) does not depend on how the
// two inputs interleaved.
// [doc:keyed_broadcast_fn]
struct highest_vs_limit {
  using broadcast_state_type = std::map<std::string, double>;  // sensor -> limit
  using state_type = double;                                   // per sensor: the highest reading
  using output_type = std::string;
  void process_element(const reading& r, auto& ctx, auto& /*out*/) {
    if (r.value > ctx.state()) ctx.state() = r.value;
    ctx.register_event_time_timer(spate::from_millis(1));  // fires when event time ends
  }
  void process_broadcast(const rule& r, auto& ctx, auto& /*out*/) {
    ctx.broadcast_state()[r.sensor] = r.limit;
  }
  void on_timer(spate::event_time, auto& ctx, auto& out) {
    const auto& limits = ctx.broadcast_state();
    const auto it = limits.find(ctx.key());
    out(ctx.key() + " " + std::to_string(int(ctx.state())) +
        (it == limits.end() ? " no rule" : ctx.state() > it->second ? " above" : " within"));
  }
};
// [end]

// process_broadcast reaching every key's state (Flink's applyToKeyedState):
// each rule lists the readings per sensor since the last rule, and resets them.
struct list_and_reset {
  using broadcast_state_type = int;  // rules seen
  using state_type = int;            // per sensor: readings since the last rule
  using output_type = std::string;
  void process_element(const reading&, auto& ctx, auto&) { ++ctx.state(); }
  void process_broadcast(const rule&, auto& ctx, auto& out) {
    ++ctx.broadcast_state();
    std::vector<std::string> seen;
    ctx.for_each_key_state([&](const std::string& sensor, int& n) {
      seen.push_back(sensor + "=" + std::to_string(n));
      n = 0;
    });
    std::sort(seen.begin(), seen.end());
    std::string line = "rule " + std::to_string(ctx.broadcast_state()) + ":";
    for (const auto& s : seen) line += " " + s;
    out(line);
  }
};

std::vector<reading> sensor_readings() {
  std::vector<reading> v;
  for (int i = 0; i < 900; ++i) v.push_back({"s" + std::to_string(i % 7), double((i * 37) % 100)});
  return v;
}
const std::vector<rule> sensor_rules{{"s0", 99}, {"s1", 50}, {"s2", 100}, {"s3", 10}, {"s5", 98}};
}  // namespace

TEST_CASE("keyed broadcast_process: keyed state and timers read the broadcast state (golden)", "[joins][broadcast]") {
  // [doc:keyed_broadcast]
  std::vector<std::string> out;
  spate::run(spate::connect(spate::from_collection(sensor_readings()), spate::broadcast(spate::from_collection(sensor_rules))) |
             spate::key_by(&reading::sensor, spate::broadcast_side) | spate::broadcast_process(highest_vs_limit{}) |
             spate::collect_into(out));
  // one verdict per sensor, at the end: "s0 99 within", "s1 99 above", ...
  // [end]
  std::sort(out.begin(), out.end());
  CHECK(out == std::vector<std::string>{"s0 99 within", "s1 99 above", "s2 99 within", "s3 99 above", "s4 99 no rule",
                                        "s5 99 above", "s6 99 no rule"});
}

TEST_CASE("keyed broadcast_process: a broadcast record reaches every key's state", "[joins][broadcast]") {
  std::vector<reading> readings{{"a", 1}, {"b", 1}, {"a", 1}, {"c", 1}};
  std::vector<rule> rules{{"x", 0}, {"y", 0}};
  std::vector<std::string> out;
  // turn(1): reading a, rule 1, reading b, rule 2, then readings a and c
  spate::run(spate::connect(spate::from_collection(readings), spate::broadcast(spate::from_collection(rules))).turn(1) |
             spate::key_by(&reading::sensor, spate::broadcast_side) | spate::broadcast_process(list_and_reset{}) |
             spate::collect_into(out));
  CHECK(out == std::vector<std::string>{"rule 1: a=1", "rule 2: a=0 b=1"});
}

TEST_CASE("keyed broadcast_process: parallel == sequential, each key on one worker, every rule on all",
          "[joins][broadcast][laws]") {
  const auto readings = sensor_readings();
  auto make = [&](std::vector<std::string>& out) {
    return spate::connect(spate::from_collection(readings), spate::broadcast(spate::from_collection(sensor_rules))) |
           spate::key_by(&reading::sensor, spate::broadcast_side) | spate::broadcast_process(highest_vs_limit{}) |
           spate::collect_into(out);
  };
  // A key's verdict comes once (from one worker), with every rule known (on all workers).
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  std::vector<std::string> sequential;
  spate::run(make(sequential));
  REQUIRE(sequential.size() == 7);
  spate_laws::parallel_equals_sequential<std::vector<std::string>>(make, sorted, {1, 2, 3});
}

TEST_CASE("keyed broadcast_process: keyed state, timers and the broadcast state are snapshotted and restored",
          "[joins][broadcast][laws]") {
  using E = spate::either<reading, rule>;
  using out_t = std::vector<std::string>;
  std::vector<spate_laws::event<E>> events{E::second_of({"a", 5}), E::first_of({"a", 7}), E::first_of({"b", 7}),
                                           E::second_of({"b", 8}), E::first_of({"a", 4}), E::first_of({"b", 9}),
                                           E::second_of({"a", 1}), E::first_of({"c", 4})};
  auto make = [](out_t& o) {
    return spate::from_collection(std::vector<E>{}) | spate::key_by(&reading::sensor, spate::broadcast_side) |
           spate::broadcast_process(highest_vs_limit{}) | spate::collect_into(o);
  };
  for (std::size_t cut = 0; cut < events.size(); ++cut) spate_laws::restore_equals_uninterrupted<out_t>(make, events, cut);

  // At another parallelism: each new instance takes the keys of its key
  // groups from every old one, and the (same) broadcast state.
  spate::rolling_env env;
  out_t o1, o2;
  auto a = spate::fuse::build(env, make(o1));
  for (const auto& e : {E::second_of({"a", 5}), E::first_of({"a", 7}), E::first_of({"b", 3}), E::first_of({"c", 9})})
    a.push(e);
  std::string snap;
  a.down.snapshot(snap);
  std::size_t keys = 0;
  for (std::size_t w = 0; w < 2; ++w) {
    auto b = spate::fuse::build(env, make(o2));
    REQUIRE(b.down.restore_rescaled({snap}, spate::key_groups{}.range_of(w, 2)));
    CHECK(b.down.broadcast_state() == std::map<std::string, double>{{"a", 5}});
    keys += b.down.state().size();
    b.on_end();  // the timers of its keys fire
  }
  CHECK(keys == 3);
  std::sort(o2.begin(), o2.end());
  CHECK(o2 == out_t{"a 7 above", "b 3 no rule", "c 9 no rule"});
  CHECK_FALSE(a.down.restore("not a snapshot"));
}
