// Side outputs (algebra/side_output.hpp): a window's late records and a
// process function's output(tag, v) go to fan_out branches named by their
// tags, and continue through stages there. Nothing is lost: every record is
// counted in some output; micro-batch and continuous, fused and unfused give
// the same result.
#include <catch2/catch.hpp>

#include <spate/algebra/fan_out.hpp>
#include <spate/exec.hpp>
#include <spate/spate.hpp>
#include <spate/window.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using spate::from_millis;

namespace {

struct click {
  std::string user;
  std::int64_t ts;
  friend bool operator==(const click&, const click&) = default;
};
using wr = spate::window_result<std::string, std::int64_t>;

// [doc:late_tag]
inline constexpr spate::output_tag<"late clicks", click> late_clicks;
// [end]

std::vector<click> random_clicks(std::uint32_t seed, std::size_t n = 400) {
  std::mt19937 rng(seed);
  std::vector<click> v;
  std::int64_t t = 0;
  for (std::size_t i = 0; i < n; ++i) {
    t += std::uniform_int_distribution<int>(0, 30)(rng);
    // one in eight arrives far behind the others: late for its window
    const bool late = std::uniform_int_distribution<int>(0, 7)(rng) == 0;
    v.push_back({std::string(1, char('a' + std::uniform_int_distribution<int>(0, 3)(rng))),
                 std::max<std::int64_t>(0, t - (late ? 400 : std::uniform_int_distribution<int>(0, 20)(rng)))});
  }
  return v;
}


}  // namespace

TEST_CASE("side outputs: a window's late records go through map into a sink", "[side_output][window]") {
  std::vector<click> clicks{{"a", 100}, {"b", 150}, {"a", 1200}, {"b", 300}, {"a", 1300}, {"a", 50}, {"b", 2500}};
  // [doc:late_records]
  std::vector<wr> counts;
  std::vector<std::string> late_users;
  spate::run(spate::from_collection(clicks) | spate::with_watermarks(&click::ts, spate::monotonous()) |
             spate::key_by(&click::user) | spate::window(spate::tumbling(1s), &click::ts).late_to(late_clicks) |
             spate::count() |
             spate::fan_out(spate::branch() | spate::collect_into(counts),
                            spate::branch(late_clicks) |
                                spate::map([](const click& c) { return c.user + "@" + std::to_string(c.ts); }) |
                                spate::collect_into(late_users)));
  // [end]
  CHECK(late_users == std::vector<std::string>{"b@300", "a@50"});
  CHECK(counts == std::vector<wr>{{"a", from_millis(0), from_millis(1000), 1},
                                  {"b", from_millis(0), from_millis(1000), 1},
                                  {"a", from_millis(1000), from_millis(2000), 2},
                                  {"b", from_millis(2000), from_millis(3000), 1}});
}

namespace {
/// Every record of a random stream, counted: in a window, or late.
struct window_accounts {
  std::vector<wr> counts;
  std::vector<click> late;
  std::map<std::string, std::int64_t> late_per_user;
};
auto late_job(const std::vector<click>& in, window_accounts& o) {
  return spate::from_collection(in) | spate::with_watermarks(&click::ts, spate::bounded_out_of_orderness(50ms)) |
         spate::key_by(&click::user) |
         spate::window(spate::tumbling(100ms), &click::ts).allowed_lateness(20ms).late_to(late_clicks) |
         spate::count() |
         spate::fan_out(spate::branch() | spate::collect_into(o.counts),
                        spate::branch(late_clicks) | spate::collect_into(o.late),
                        // a side output continues through keyed stages of its own
                        spate::branch(late_clicks) | spate::key_by(&click::user) | spate::count() |
                            spate::collect_into(o.late_per_user));
}
}  // namespace

TEST_CASE("side outputs: nothing is lost, and micro-batch == continuous", "[side_output][window][law]") {
  for (std::uint32_t seed = 1; seed <= 10; ++seed) {
    INFO("seed " << seed);
    const auto in = random_clicks(seed);
    window_accounts rolling, batched;
    spate::run(late_job(in, rolling));
    spate::run_batch(late_job(in, batched));
    REQUIRE(!rolling.late.empty());
    // every record is in exactly one window's count or in the late output
    // (allowed lateness re-fires a window with its whole count, so take each window's last value)
    std::map<std::tuple<std::string, std::int64_t>, std::int64_t> last;
    for (const auto& w : rolling.counts) last[{w.key, spate::to_millis(w.start)}] = w.value;
    std::int64_t in_windows = 0;
    for (const auto& [k, n] : last) in_windows += n;
    CHECK(in_windows + std::int64_t(rolling.late.size()) == std::int64_t(in.size()));
    std::map<std::string, std::int64_t> want_per_user;
    for (const auto& c : rolling.late) ++want_per_user[c.user];
    CHECK(rolling.late_per_user == want_per_user);
    // micro-batch: the same windows and the same late records
    CHECK(batched.late == rolling.late);
    std::map<std::tuple<std::string, std::int64_t>, std::int64_t> last_batched;
    for (const auto& w : batched.counts) last_batched[{w.key, spate::to_millis(w.start)}] = w.value;
    CHECK(last_batched == last);
    CHECK(batched.late_per_user == rolling.late_per_user);
    // fused == unfused: the virtual links carry the side output too
    window_accounts unfused, unfused_batched;
    spate::run_unfused(late_job(in, unfused));
    spate::run_batch_unfused(late_job(in, unfused_batched));
    CHECK(unfused.counts == rolling.counts);
    CHECK(unfused.late == rolling.late);
    CHECK(unfused.late_per_user == rolling.late_per_user);
    CHECK(unfused_batched.counts == batched.counts);
    CHECK(unfused_batched.late == batched.late);
  }
}

TEST_CASE("side outputs under the executors: continuous == micro-batch, P = 1 and 2", "[side_output][parallel]") {
  const auto in = random_clicks(11, 2000);
  window_accounts sequential;
  spate::run(late_job(in, sequential));
  for (std::size_t p : {1, 2})
    for (bool batched : {false, true}) {
      INFO("parallelism " << p << (batched ? ", micro-batch" : ", continuous"));
      // the side branch with a key_by of its own cannot run in parallel: leave it out here
      std::vector<wr> counts;
      std::vector<click> late;
      auto job = spate::from_collection(in) |
                 spate::with_watermarks(&click::ts, spate::bounded_out_of_orderness(50ms)) |
                 spate::key_by(&click::user) |
                 spate::window(spate::tumbling(100ms), &click::ts).allowed_lateness(20ms).late_to(late_clicks) |
                 spate::count() |
                 spate::fan_out(spate::branch() | spate::collect_into(counts),
                                spate::branch(late_clicks) | spate::collect_into(late));
      auto ctx = batched ? std::make_unique<spate::context>(spate::micro_batch{20ms}, spate::parallelism{p})
                         : std::make_unique<spate::context>(spate::continuous{}, spate::parallelism{p});
      ctx->add(std::move(job));
      ctx->start();
      ctx->await_termination();
      if (p == 1) {
        CHECK(late == sequential.late);
      } else {
        // at P = 2 each source shard has its own watermark: which records are late may differ; none is lost
        std::map<std::tuple<std::string, std::int64_t>, std::int64_t> last;
        for (const auto& w : counts) last[{w.key, spate::to_millis(w.start)}] = w.value;
        std::int64_t in_windows = 0;
        for (const auto& [k, n] : last) in_windows += n;
        CHECK(in_windows + std::int64_t(late.size()) == std::int64_t(in.size()));
      }
    }
}

namespace {
// [doc:process_tags]
inline constexpr spate::output_tag<"too big", int> too_big;
inline constexpr spate::output_tag<"negative", std::string> negative;

/// Emits each record's running total per key; records out of range go to
/// the side outputs instead.
struct checked_totals {
  using state_type = long;
  using output_type = long;
  void process(int x, auto& ctx, auto& out) {
    if (x < 0)
      ctx.output(negative, "key " + std::to_string(ctx.key()) + ": " + std::to_string(x));
    else if (x > 100)
      ctx.output(too_big, x);
    else
      out(ctx.state() += x);
  }
};
// [end]
}  // namespace

TEST_CASE("side outputs: a process function emits to two tags", "[side_output][process]") {
  const std::vector<int> in{5, -1, 200, 7, 101, -3, 10};
  // [doc:process_fan_out]
  std::vector<long> totals;
  std::vector<int> big;
  std::vector<std::string> negatives;
  spate::run(spate::from_collection(in) | spate::key_by([](int x) { return x % 2 == 0 ? 0 : 1; }) |
             spate::process(checked_totals{}) |
             spate::fan_out(spate::branch() | spate::collect_into(totals),
                            spate::branch(too_big) | spate::map([](int x) { return x / 100; }) | spate::collect_into(big),
                            spate::branch(negative) | spate::collect_into(negatives)));
  // [end]
  CHECK(totals == std::vector<long>{5, 12, 10});
  CHECK(big == std::vector<int>{2, 1});
  CHECK(negatives == std::vector<std::string>{"key 1: -1", "key 1: -3"});
  CHECK(totals.size() + big.size() + negatives.size() == in.size());  // nothing lost
}

TEST_CASE("side outputs: micro-batch == continuous for a process function's tags", "[side_output][process][law]") {
  std::mt19937 rng(5);
  std::vector<int> in(500);
  for (int& x : in) x = std::uniform_int_distribution<int>(-50, 150)(rng);
  struct outs {
    std::vector<int> big;
    std::vector<std::string> negatives;
    std::map<int, long> last;
  };
  auto job = [&](outs& o) {
    return spate::from_collection(in) | spate::key_by([](int x) { return x % 3 == 0 ? 0 : 1; }) |
           spate::process(checked_totals{}) |
           spate::fan_out(spate::branch() | spate::map([](long t) { return std::pair<int, long>(int(t % 2), t); }) |
                              spate::collect_into(o.last),
                          spate::branch(too_big) | spate::collect_into(o.big),
                          spate::branch(negative) | spate::collect_into(o.negatives));
  };
  outs a, b, c;
  spate::run(job(a));
  spate::run_batch(job(b));
  spate::run_unfused(job(c));
  CHECK(c.big == a.big);  // fused == unfused
  CHECK(c.negatives == a.negatives);
  CHECK(c.last == a.last);
  CHECK(a.big == b.big);
  CHECK(a.negatives == b.negatives);
  CHECK(a.last == b.last);
  std::size_t big = 0, neg = 0;
  for (int x : in) big += x > 100, neg += x < 0;
  CHECK(a.big.size() == big);
  CHECK(a.negatives.size() == neg);
}

TEST_CASE("side outputs with no branch to reach fail clearly", "[side_output]") {
  std::vector<click> clicks{{"a", 100}, {"a", 1500}, {"a", 50}};
  std::vector<wr> counts;
  // a window's: at the start
  CHECK_THROWS_WITH(spate::run(spate::from_collection(clicks) | spate::with_watermarks(&click::ts, spate::monotonous()) |
                               spate::key_by(&click::user) |
                               spate::window(spate::tumbling(1s), &click::ts).late_to(late_clicks) | spate::count() |
                               spate::collect_into(counts)),
                    Catch::Contains("side output 'late clicks' of stage 'window'") &&
                        Catch::Contains("reaches no fan_out branch(tag)"));
  // a process function's: at its first emission
  std::vector<long> totals;
  const std::vector<int> in{1, 2, 500};
  CHECK_THROWS_WITH(spate::run(spate::from_collection(in) | spate::key_by([](int) { return 0; }) |
                               spate::process(checked_totals{}) | spate::collect_into(totals)),
                    Catch::Contains("side output 'too big' of stage 'process'"));
  CHECK(totals == std::vector<long>{1, 3});
}

namespace {
inline constexpr spate::output_tag<"small", long> small_totals;
inline constexpr spate::output_tag<"odd", long> odd_records;
/// The running total per key to the stream; records below 10 also to
/// "small", odd records to "odd".
struct totals_with_tags {
  using state_type = long;
  using output_type = long;
  void process(int x, auto& ctx, auto& out) {
    if (x < 10) ctx.output(small_totals, long{x});
    if (x % 2 != 0) ctx.output(odd_records, long{x});
    out(ctx.state() += x);
  }
};
}  // namespace

TEST_CASE("side outputs merge: with the stream, and with each other", "[side_output][merge]") {
  std::mt19937 rng(8);
  std::vector<int> in(300);
  for (int& x : in) x = std::uniform_int_distribution<int>(0, 40)(rng);
  // [doc:merge]
  std::vector<long> everything;
  std::map<long, std::int64_t> side_counts;
  spate::run(spate::from_collection(in) | spate::key_by([](int x) { return x % 3; }) |
             spate::process(totals_with_tags{}) |
             spate::fan_out(
                 // the stream and a side output, as one stream (Flink's union)
                 spate::branch(spate::main_stream, small_totals) | spate::collect_into(everything),
                 // two side outputs merged, then keyed and counted
                 spate::branch(small_totals, odd_records) | spate::key_by([](long v) { return v % 2; }) |
                     spate::count() | spate::collect_into(side_counts)));
  // [end]
  std::size_t small = 0, odd = 0, small_even = 0;
  for (int x : in) small += x < 10, odd += x % 2 != 0, small_even += x < 10 && x % 2 == 0;
  CHECK(everything.size() == in.size() + small);  // nothing lost, in the order they were emitted
  std::map<long, std::int64_t> want{{0, std::int64_t(small_even)}, {1, std::int64_t(odd + (small - small_even))}};
  if (want[0] == 0) want.erase(0);
  CHECK(side_counts == want);
  // the order: each record's side output comes before its total
  std::vector<long> expected;
  std::map<int, long> totals;
  for (int x : in) {
    if (x < 10) expected.push_back(x);
    expected.push_back(totals[x % 3] += x);
  }
  CHECK(everything == expected);
}
