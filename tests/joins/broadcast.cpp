// Broadcast state (join/broadcast.hpp): every parallel instance reads the
// whole broadcast input and keeps the same state; it is snapshotted and
// restored (also at another parallelism, to every instance).
#include <catch2/catch.hpp>

#include "join_support.hpp"
#include "laws.hpp"

#include <chrono>
#include <map>
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
