// connect (join/connect.hpp) and the two-input functions (join/co_process.hpp):
// co_map, co_flat_map, co_process keyed (shared state and timers) and unkeyed.
// Laws: fused == unfused, parallel == sequential, restore(snapshot) == uninterrupted.
#include <catch2/catch.hpp>

#include <spate/spate.hpp>
#include <spate/exec.hpp>
#include <spate/join.hpp>

#include "laws.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

namespace {
struct order {
  int id = 0;
  std::int64_t ts = 0;
  int amount = 0;
};
struct payment {
  int order = 0;
  std::int64_t ts = 0;
};

template <class V>
V sorted(V v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Emits (order id, amount) once both the order and its payment arrived, in
// either order; an order still unpaid when the watermark passes ts + 10 is
// reported as (id, -amount) by its timer.
struct match_payments {
  struct state_type {
    int amount = 0;
    bool ordered = false;
    bool paid = false;
    friend bool operator==(const state_type&, const state_type&) = default;
  };
  using output_type = std::pair<int, int>;
  void process1(const order& o, auto& ctx, auto& out) {
    auto& s = ctx.state();
    s.ordered = true;
    s.amount = o.amount;
    if (s.paid) {
      out(std::pair{o.id, o.amount});
      ctx.clear_state();
    } else {
      ctx.register_event_time_timer(ctx.timestamp() + 10ms);
    }
  }
  void process2(const payment& p, auto& ctx, auto& out) {
    auto& s = ctx.state();
    s.paid = true;
    if (s.ordered) {
      out(std::pair{p.order, s.amount});
      ctx.clear_state();
    }
  }
  void on_timer(spate::event_time, auto& ctx, auto& out) {
    auto& s = ctx.state();
    if (s.ordered && !s.paid) out(std::pair{ctx.key(), -s.amount});
    ctx.clear_state();
  }
};
struct sides {
  using output_type = std::pair<std::size_t, int>;
  int seen = 0;  // a field of the function: per parallel instance, not checkpointed
  void process1(int x, auto& ctx, auto& out) { out(std::pair{ctx.side(), x + 0 * ++seen}); }
  void process2(const std::string& w, auto& ctx, auto& out) { out(std::pair{ctx.side(), int(w.size())}); }
};
}  // namespace

BOOST_HANA_ADAPT_STRUCT(match_payments::state_type, amount, ordered, paid);

TEST_CASE("connect: co_map tags both inputs into one stream", "[joins][co_map]") {
  // [doc:co_map]
  std::vector<int> numbers{1, 2, 3};
  std::vector<std::string> words{"a", "b"};
  std::vector<std::string> out;
  spate::run(spate::connect(spate::from_collection(numbers), spate::from_collection(words)) |
             spate::co_map([](int x) { return std::to_string(x); },   // input 1
                           [](const std::string& w) { return w; }) |  // input 2
             spate::collect_into(out));
  // out holds "1", "2", "3", "a", "b" (the order between inputs is free)
  // [end]
  CHECK(sorted(out) == std::vector<std::string>{"1", "2", "3", "a", "b"});
}

TEST_CASE("connect: co_flat_map and unkeyed co_process", "[joins][co_map]") {
  std::vector<int> numbers{1, 2, 3};
  std::vector<std::string> words{"ab", "c"};
  std::vector<int> flat;
  spate::run(spate::connect(spate::from_collection(numbers), spate::from_collection(words)) |
             spate::co_flat_map([](int x) { return std::vector<int>(static_cast<std::size_t>(x), x); },
                                [](const std::string& w) { return std::vector<int>{int(w.size())}; }) |
             spate::collect_into(flat));
  CHECK(sorted(flat) == std::vector<int>{1, 1, 2, 2, 2, 3, 3, 3});

  std::vector<std::pair<std::size_t, int>> tagged;
  spate::run(spate::connect(spate::from_collection(numbers), spate::from_collection(words)) |
             spate::co_process(sides{}) | spate::collect_into(tagged));
  CHECK(sorted(tagged) == std::vector<std::pair<std::size_t, int>>{{1, 1}, {1, 2}, {1, 3}, {2, 1}, {2, 2}});
}

TEST_CASE("connect: keyed co_process shares state and timers across inputs (golden)", "[joins][co_process]") {
  // [doc:co_process]
  std::vector<order> orders{{1, 1000, 50}, {2, 1002, 70}, {3, 1004, 20}};
  std::vector<payment> payments{{2, 1001}, {1, 1003}, {4, 1010}};
  std::vector<std::pair<int, int>> out;
  auto os = spate::from_collection(orders) | spate::with_watermarks(&order::ts, spate::monotonous());
  auto ps = spate::from_collection(payments) | spate::with_watermarks(&payment::ts, spate::monotonous());
  spate::run(spate::connect(os, ps) | spate::key_by(&order::id, &payment::order) |
             spate::co_process(match_payments{}) | spate::collect_into(out));
  // orders 1 and 2 were paid; order 3's timer (at 1014) reports it unpaid
  // [end]
  CHECK(sorted(out) == std::vector<std::pair<int, int>>{{1, 50}, {2, 70}, {3, -20}});
}

namespace {
struct gen {
  std::vector<order> orders;
  std::vector<payment> payments;
};
gen random_orders(std::uint32_t seed, int n = 300) {
  std::mt19937 rng(seed);
  gen g;
  for (int i = 0; i < n; ++i) {
    std::int64_t t = 1000 + i * 3;
    g.orders.push_back({i, t, 1 + int(rng() % 100)});  // one order per id: the function is order-free
    if (rng() % 3) g.payments.push_back({i, t + std::int64_t(rng() % 8)});
  }
  std::sort(g.payments.begin(), g.payments.end(), [](auto& a, auto& b) { return a.ts < b.ts; });
  return g;
}
auto match_job(const gen& g, std::vector<std::pair<int, int>>& out) {
  auto os = spate::from_collection(g.orders) | spate::with_watermarks(&order::ts, spate::bounded_out_of_orderness(10ms));
  auto ps = spate::from_collection(g.payments) | spate::with_watermarks(&payment::ts, spate::bounded_out_of_orderness(10ms));
  return spate::connect(os, ps) | spate::key_by(&order::id, &payment::order) | spate::co_process(match_payments{}) |
         spate::collect_into(out);
}
}  // namespace

TEST_CASE("connect: laws for keyed co_process", "[joins][co_process][laws]") {
  using out_t = std::vector<std::pair<int, int>>;
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    INFO("seed " << seed);
    const gen g = random_orders(seed);
    spate_laws::fused_equals_unfused<out_t>([&](out_t& o) { return match_job(g, o); });
    spate_laws::parallel_equals_sequential<out_t>([&](out_t& o) { return match_job(g, o); },
                                                  [](out_t o) { return sorted(o); });
  }
}

TEST_CASE("connect: keyed co_process restores from a snapshot", "[joins][co_process][laws]") {
  using E = spate::either<order, payment>;
  using out_t = std::vector<std::pair<int, int>>;
  const gen g = random_orders(7, 120);
  std::vector<spate_laws::event<E>> events;
  std::size_t p = 0;
  for (const auto& o : g.orders) {
    events.push_back(E::first_of(o, o.ts));
    while (p < g.payments.size() && g.payments[p].ts <= o.ts) {
      events.push_back(E::second_of(g.payments[p], g.payments[p].ts));
      ++p;
    }
    if (o.ts % 30 == 0) events.push_back(spate::from_millis(o.ts - 20));
  }
  auto make = [](out_t& o) {
    return spate::from_collection(std::vector<E>{}) | spate::key_by(&order::id, &payment::order) |
           spate::co_process(match_payments{}) | spate::collect_into(o);
  };
  for (std::size_t cut : {std::size_t(0), events.size() / 3, events.size() / 2, events.size() - 1})
    spate_laws::restore_equals_uninterrupted<out_t>(make, events, cut, [](out_t o) { return sorted(o); });
}

TEST_CASE("connect: an error in a co function names the stage", "[joins][errors]") {
  std::vector<int> a{1, 2};
  std::vector<int> b{3};
  std::vector<int> out;
  auto job = spate::connect(spate::from_collection(a), spate::from_collection(b)) |
             spate::co_map([](int x) -> int {
               if (x == 2) throw std::runtime_error("boom");
               return x;
             },
                           [](int x) { return x; }) |
             spate::collect_into(out);
  try {
    spate::run(job);
    FAIL("no error");
  } catch (const spate::stage_error& e) {
    CHECK(std::string(e.what()).find("co_map") != std::string::npos);
  }
}
