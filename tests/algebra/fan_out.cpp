// fan_out (algebra/fan_out.hpp): one stream, several branches, each with its
// own stages and sink, fused on one thread. Laws: fan-out to k branches ==
// k separate runs; fused == unfused; parallel == sequential (also for
// branches with a key_by of their own); restore(snapshot) == uninterrupted, each
// branch's state under its identity.
#include <catch2/catch.hpp>

#include <spate/algebra/fan_out.hpp>
#include <spate/exec.hpp>
#include <spate/spate.hpp>
#include <spate/window.hpp>

#include "laws.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>
#include "checkpoint_wait.hpp"

using namespace std::chrono_literals;

namespace {

std::vector<int> random_ints(std::uint32_t seed, std::size_t n = 400) {
  std::mt19937 rng(seed);
  std::vector<int> v(n);
  for (int& x : v) x = std::uniform_int_distribution<int>(-500, 500)(rng);
  return v;
}

/// What the two-branch job writes: a sum of the even records and a count per residue.
struct two_outputs {
  long evens = 0;
  std::map<int, std::int64_t> counts;
  std::vector<int> firsts;
  friend bool operator==(const two_outputs&, const two_outputs&) = default;
};

auto is_even = [](int x) { return x % 2 == 0; };
auto residue = [](int x) { return ((x % 3) + 3) % 3; };
auto twice = [](int x) { return x * 2 + 1; };

}  // namespace

TEST_CASE("fan_out: every record goes down every branch (golden)", "[fan_out]") {
  // [doc:fan_out]
  std::vector<int> input{1, 2, 3, 4, 5, 6};
  long evens = 0;
  std::map<int, std::int64_t> per_residue;
  std::vector<int> all;
  spate::run(spate::from_collection(input) | spate::map([](int x) { return x * 10; }) |
             spate::fan_out(spate::branch() | spate::filter([](int x) { return x % 20 == 0; }) | spate::sum_into(evens),
                            spate::branch("per residue") | spate::key_by([](int x) { return x % 3; }) |
                                spate::count() | spate::collect_into(per_residue),
                            spate::branch() | spate::collect_into(all)));
  CHECK(evens == 20 + 40 + 60);
  CHECK(per_residue == std::map<int, std::int64_t>{{0, 2}, {1, 2}, {2, 2}});
  CHECK(all == std::vector<int>{10, 20, 30, 40, 50, 60});
  // [end]
}

namespace {
auto two_branch_job(const std::vector<int>& in) {
  return [&in](two_outputs& o) {
    return spate::from_collection(in) | spate::map(twice) |
           spate::fan_out(spate::branch() | spate::filter(is_even) | spate::sum_into(o.evens),
                          spate::branch() | spate::key_by(residue) | spate::count() | spate::collect_into(o.counts),
                          spate::branch() | spate::take(7) | spate::collect_into(o.firsts));
  };
}
}  // namespace

TEST_CASE("fan_out to k branches == k separate runs", "[fan_out][law]") {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    INFO("seed " << seed);
    const auto in = random_ints(seed, seed * 13);
    for (bool batch : {false, true}) {
      two_outputs together, apart;
      auto job = two_branch_job(in)(together);
      auto a = spate::from_collection(in) | spate::map(twice) | spate::filter(is_even) | spate::sum_into(apart.evens);
      auto b = spate::from_collection(in) | spate::map(twice) | spate::key_by(residue) | spate::count() |
               spate::collect_into(apart.counts);
      auto c = spate::from_collection(in) | spate::map(twice) | spate::take(7) | spate::collect_into(apart.firsts);
      if (batch) {
        spate::run_batch(job), spate::run_batch(a), spate::run_batch(b), spate::run_batch(c);
      } else {
        spate::run(job), spate::run(a), spate::run(b), spate::run(c);
      }
      CHECK(together == apart);
    }
  }
}

TEST_CASE("fan_out: fused == unfused", "[fan_out][law]") {
  for (std::uint32_t seed = 1; seed <= 10; ++seed) {
    const auto in = random_ints(seed);
    spate_laws::fused_equals_unfused<two_outputs>(two_branch_job(in));
  }
}

TEST_CASE("fan_out: the source stops once every branch has stopped", "[fan_out]") {
  std::vector<int> in(1000);
  for (int i = 0; i < 1000; ++i) in[std::size_t(i)] = i;
  std::size_t read = 0;
  std::vector<int> a, b;
  spate::run(spate::from_collection(in) | spate::inspect([&](int) { ++read; }) |
             spate::fan_out(spate::branch() | spate::take(3) | spate::collect_into(a),
                            spate::branch() | spate::take(10) | spate::collect_into(b)));
  CHECK(a == std::vector<int>{0, 1, 2});
  CHECK(b.size() == 10);
  CHECK(read == 10);  // the tenth record stopped the second branch, and so the source
}

namespace {
struct ev {
  std::string user;
  std::int64_t ts;
};
using wr = spate::window_result<std::string, std::int64_t>;
struct window_outputs {
  std::vector<wr> tumbling, sliding;
  std::vector<std::string> ends;
  friend bool operator==(const window_outputs&, const window_outputs&) = default;
};
std::vector<ev> random_events(std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<ev> v;
  std::int64_t t = 0;
  for (int i = 0; i < 300; ++i) {
    t += std::uniform_int_distribution<int>(0, 40)(rng);
    v.push_back({std::string(1, char('a' + std::uniform_int_distribution<int>(0, 3)(rng))),
                 t - std::uniform_int_distribution<int>(0, 30)(rng)});
  }
  return v;
}
}  // namespace

TEST_CASE("fan_out: watermarks and the end reach every branch (windows in two branches == two runs)", "[fan_out][law]") {
  for (std::uint32_t seed = 1; seed <= 10; ++seed) {
    INFO("seed " << seed);
    const auto in = random_events(seed);
    auto upstream = [&] {
      return spate::from_collection(in) | spate::with_watermarks(&ev::ts, spate::bounded_out_of_orderness(20ms));
    };
    window_outputs together, apart;
    spate::run(upstream() |
               spate::fan_out(spate::branch() | spate::key_by(&ev::user) | spate::window(spate::tumbling(100ms), &ev::ts) |
                                  spate::count() | spate::collect_into(together.tumbling),
                              spate::branch() | spate::key_by(&ev::user) |
                                  spate::window(spate::sliding(100ms, 50ms), &ev::ts) | spate::count() |
                                  spate::collect_into(together.sliding)));
    spate::run(upstream() | spate::key_by(&ev::user) | spate::window(spate::tumbling(100ms), &ev::ts) | spate::count() |
               spate::collect_into(apart.tumbling));
    spate::run(upstream() | spate::key_by(&ev::user) | spate::window(spate::sliding(100ms, 50ms), &ev::ts) |
               spate::count() | spate::collect_into(apart.sliding));
    REQUIRE(!apart.tumbling.empty());
    CHECK(together == apart);
  }
}

TEST_CASE("fan_out after key_by: each branch is keyed by the stream's key", "[fan_out]") {
  std::vector<std::pair<std::string, int>> in{{"a", 1}, {"b", 2}, {"a", 3}, {"b", 4}, {"a", 5}};
  std::map<std::string, std::int64_t> counts;
  std::map<std::string, std::pair<std::string, int>> maxima;
  spate::run_batch(spate::from_collection(in) | spate::key_by([](const auto& p) { return p.first; }) |
                   spate::fan_out(spate::branch() | spate::count() | spate::collect_into(counts),
                                  spate::branch() | spate::reduce([](auto a, auto b) { return a.second > b.second ? a : b; }) |
                                      spate::collect_into(maxima)));
  CHECK(counts == std::map<std::string, std::int64_t>{{"a", 3}, {"b", 2}});
  CHECK(maxima["a"].second == 5);
  CHECK(maxima["b"].second == 4);
}

namespace {
/// Stateful branches: a count per residue and a running sum per residue.
struct stateful_outputs {
  std::map<int, std::int64_t> counts;
  std::map<int, int> sums;
  friend bool operator==(const stateful_outputs&, const stateful_outputs&) = default;
};
const std::vector<int> no_input;
auto counts_branch(stateful_outputs& o) {
  return spate::branch("counts") | spate::key_by(residue) | spate::count() | spate::collect_into(o.counts);
}
auto sums_branch(stateful_outputs& o) {
  return spate::branch("sums") | spate::key_by(residue) | spate::reduce([](int a, int b) { return a + b; }) |
         spate::collect_into(o.sums);
}
auto stateful_job = [](stateful_outputs& o) {
  return spate::from_collection(no_input) | spate::map(twice) | spate::fan_out(counts_branch(o), sums_branch(o));
};
auto swapped_job = [](stateful_outputs& o) {
  return spate::from_collection(no_input) | spate::map(twice) | spate::fan_out(sums_branch(o), counts_branch(o));
};
std::vector<spate_laws::event<int>> random_feed(std::uint32_t seed) {
  std::vector<spate_laws::event<int>> evs;
  for (int x : random_ints(seed, 200)) {
    evs.emplace_back(x);
    if (x % 17 == 0) evs.emplace_back(spate_laws::batch_end{});
  }
  return evs;
}
}  // namespace

TEST_CASE("fan_out: restore(snapshot) == uninterrupted, the state of every branch", "[fan_out][law][snapshot]") {
  for (std::uint32_t seed = 1; seed <= 5; ++seed) {
    const auto evs = random_feed(seed);
    for (std::size_t cut : {std::size_t(0), evs.size() / 3, evs.size() / 2, evs.size()}) {
      spate_laws::restore_equals_uninterrupted<stateful_outputs>(stateful_job, evs, cut);
      spate_laws::restore_equals_uninterrupted<stateful_outputs, spate::compacted_env>(stateful_job, evs, cut);
    }
  }
}

TEST_CASE("fan_out: a branch's state is restored by the branch's name, not its place", "[fan_out][snapshot]") {
  const auto evs = random_feed(7);
  const std::size_t cut = evs.size() / 2;
  spate::rolling_env env;
  stateful_outputs whole, resumed;
  {
    auto c = spate::fuse::build(env, stateful_job(whole));
    for (const auto& e : evs)
      if (const int* x = std::get_if<0>(&e)) c.push(*x);
    c.on_end();
  }
  auto a = spate::fuse::build(env, stateful_job(resumed));
  for (std::size_t i = 0; i < cut; ++i)
    if (const int* x = std::get_if<0>(&evs[i])) a.push(*x);
  const auto snap = spate::snapshot_chain(a);
  REQUIRE(snap.states.size() == 1);  // the fan-out holds its branches' state
  auto b = spate::fuse::build(env, swapped_job(resumed));
  REQUIRE(spate::restore_chain(b, snap));
  for (std::size_t i = cut; i < evs.size(); ++i)
    if (const int* x = std::get_if<0>(&evs[i])) b.push(*x);
  b.on_end();
  CHECK(resumed == whole);

  // a checkpointed branch the job no longer has: the restore fails
  std::map<int, std::int64_t> only;
  auto fewer = spate::fuse::build(env, spate::from_collection(no_input) | spate::map(twice) |
                                           spate::fan_out(spate::branch("counts") | spate::key_by(residue) |
                                                          spate::count() | spate::collect_into(only)));
  CHECK_FALSE(spate::restore_chain(fewer, snap));
  // a branch the checkpoint does not know starts empty
  stateful_outputs grown;
  auto more = spate::fuse::build(
      env, spate::from_collection(no_input) | spate::map(twice) |
               spate::fan_out(counts_branch(grown), sums_branch(grown),
                              spate::branch("new") | spate::key_by(residue) | spate::count() | spate::collect_into(only)));
  CHECK(spate::restore_chain(more, snap));
}

TEST_CASE("fan_out: two branches of one name are refused", "[fan_out]") {
  long a = 0, b = 0;
  CHECK_THROWS_WITH(spate::fan_out(spate::branch("x") | spate::sum_into(a), spate::branch("x") | spate::sum_into(b)),
                    Catch::Contains("two branches are named 'x'"));
}

TEST_CASE("fan_out: parallel == sequential (branches without a key_by, after a key_by)", "[fan_out][law][parallel]") {
  const auto in = random_ints(3, 3000);
  struct outs {
    long evens = 0;
    std::vector<int> odds;
    std::map<int, std::int64_t> counts;
    std::map<int, int> sums;
    bool operator==(const outs&) const = default;
  };
  auto sorted = [](outs o) {
    std::sort(o.odds.begin(), o.odds.end());
    return o;
  };
  spate_laws::parallel_equals_sequential<outs>(
      [&](outs& o) {
        return spate::from_collection(in) | spate::map(twice) |
               spate::fan_out(spate::branch() | spate::filter(is_even) | spate::sum_into(o.evens),
                              spate::branch() | spate::filter([](int x) { return x % 2 != 0; }) |
                                  spate::collect_into(o.odds));
      },
      sorted);
  // after a key_by the shuffle is the stream's, before the fan-out; keyed aggregations in branches
  auto last_per_key = [](outs o) { return o; };
  spate_laws::parallel_equals_sequential<outs>(
      [&](outs& o) {
        return spate::from_collection(in) | spate::key_by(residue) |
               spate::fan_out(spate::branch() | spate::count() | spate::collect_into(o.counts),
                              spate::branch() | spate::reduce([](int a, int b) { return a + b; }) |
                                  spate::collect_into(o.sums));
      },
      last_per_key);
}

TEST_CASE("fan_out: a branch with a key_by of its own keeps its own shuffle: parallel == sequential",
          "[fan_out][law][parallel]") {
  const auto in = random_ints(4, 3000);
  struct outs {
    long sum = 0;
    std::map<int, std::int64_t> counts;
    std::map<int, int> max_per_parity;
    bool operator==(const outs&) const = default;
  };
  auto same = [](outs o) { return o; };
  // every sink per worker: each worker's fan-out feeds the branch's shuffle
  spate_laws::parallel_equals_sequential<outs>(
      [&](outs& o) {
        return spate::from_collection(in) | spate::map(twice) |
               spate::fan_out(spate::branch() | spate::sum_into(o.sum),
                              spate::branch("per residue") | spate::filter([](int x) { return x > -400; }) |
                                  spate::key_by(residue) | spate::count() | spate::collect_into(o.counts),
                              spate::branch("per parity") | spate::key_by([](int x) { return x & 1; }) |
                                  spate::reduce([](int a, int b) { return std::max(a, b); }) |
                                  spate::collect_into(o.max_per_parity));
      },
      same);
  // after the stream's own key_by, a branch keyed anew (a second shuffle)
  spate_laws::parallel_equals_sequential<outs>(
      [&](outs& o) {
        return spate::from_collection(in) | spate::key_by(residue) |
               spate::fan_out(spate::branch() | spate::count() | spate::collect_into(o.counts),
                              spate::branch("per parity") | spate::key_by([](int x) { return x & 1; }) |
                                  spate::reduce([](int a, int b) { return std::max(a, b); }) |
                                  spate::collect_into(o.max_per_parity));
      },
      same);
}

TEST_CASE("fan_out: keyed branches behind a sink thread, a keyed branch with a sink of one instance",
          "[fan_out][parallel]") {
  const auto in = random_ints(5, 2000);
  struct outs {
    std::vector<int> seen;                    // for_each: one instance, the fan-out on the sink thread
    std::vector<std::pair<int, std::int64_t>> updates;  // for_each behind the branch's shuffle
    std::map<int, std::int64_t> counts;
    bool operator==(const outs&) const = default;
  };
  auto normal = [](outs o) {
    std::sort(o.seen.begin(), o.seen.end());
    std::sort(o.updates.begin(), o.updates.end());
    return o;
  };
  spate_laws::parallel_equals_sequential<outs>(
      [&](outs& o) {
        return spate::from_collection(in) | spate::map(twice) |
               spate::fan_out(spate::branch() | spate::for_each([&o](int x) { o.seen.push_back(x); }),
                              spate::branch("counted") | spate::key_by(residue) | spate::count() |
                                  spate::collect_into(o.counts));
      },
      normal);
  // every update of the keyed branch reaches its one sink: continuous only
  // (micro-batch compacts updates per batch)
  outs sequential;
  auto job = [&](outs& o) {
    return spate::from_collection(in) |
           spate::fan_out(spate::branch() | spate::for_each([&o](int x) { o.seen.push_back(x); }),
                          spate::branch("updates") | spate::key_by(residue) | spate::count() |
                              spate::for_each([&o](const std::pair<int, std::int64_t>& u) { o.updates.push_back(u); }));
  };
  spate::run(job(sequential));
  for (std::size_t p : {2, 3}) {
    INFO("parallelism " << p);
    outs par;
    spate::context ctx(spate::continuous{}, spate::parallelism{p});
    ctx.add(job(par));
    ctx.start();
    ctx.await_termination();
    CHECK(normal(par) == normal(sequential));
  }
}

TEST_CASE("fan_out: a keyed branch's event-time window under parallelism (watermarks cross its shuffle)",
          "[fan_out][parallel]") {
  const auto in = random_events(21);
  struct outs {
    long n = 0;
    std::vector<wr> counts;
    bool operator==(const outs&) const = default;
  };
  auto job = [&](outs& o) {
    return spate::from_collection(in) | spate::with_watermarks(&ev::ts, spate::bounded_out_of_orderness(20ms)) |
           spate::fan_out(spate::branch() | spate::map([](const ev&) { return 1L; }) | spate::sum_into(o.n),
                          spate::branch("windows") | spate::key_by(&ev::user) |
                              spate::window(spate::tumbling(100ms), &ev::ts) | spate::count() |
                              spate::collect_into(o.counts));
  };
  auto sorted = [](outs o) {
    std::sort(o.counts.begin(), o.counts.end(), [](const wr& a, const wr& b) {
      return std::tie(a.key, a.start) < std::tie(b.key, b.start);
    });
    return o;
  };
  outs sequential;
  spate::run(job(sequential));
  REQUIRE(sequential.counts.size() > 10);
  spate_laws::parallel_equals_sequential<outs>(job, sorted);
}

TEST_CASE("fan_out: the plan shows a keyed branch's own segments, its identities are listed", "[fan_out][parallel]") {
  std::map<int, std::int64_t> counts;
  long sum = 0;
  std::vector<int> in{1, 2, 3};
  spate::context ctx(spate::continuous{}, spate::parallelism{2});
  ctx.add(spate::from_collection(in) |
          spate::fan_out(spate::branch() | spate::sum_into(sum),
                         spate::branch("per residue") | spate::key_by(residue) | spate::count() |
                             spate::collect_into(counts)));
  const std::string plan = ctx.explain();
  INFO(plan);
  CHECK(plan.find("(shuffle) | per residue #2 | fold #3 | collect_into (one per worker)") != std::string::npos);
  ctx.start();
  ctx.await_termination();
  CHECK(sum == 6);
  CHECK(counts == std::map<int, std::int64_t>{{0, 1}, {1, 1}, {2, 1}});
}

namespace {
auto keyed_stateful_job = [](stateful_outputs& o) {
  return spate::from_collection(no_input) | spate::key_by(residue) |
         spate::fan_out(spate::branch("counts") | spate::count() | spate::collect_into(o.counts),
                        spate::branch("sums") | spate::reduce([](int a, int b) { return a + b; }) |
                            spate::collect_into(o.sums));
};
}  // namespace

TEST_CASE("fan_out after key_by: the branches' keyed state rescales", "[fan_out][law][snapshot]") {
  const auto evs = random_feed(9);
  for (auto [from, to] : {std::pair<std::size_t, std::size_t>{2, 1}, {1, 3}, {3, 2}})
    spate_laws::rescale_equals_uninterrupted<stateful_outputs>(keyed_stateful_job, evs, evs.size() / 2, residue, from,
                                                              to);
}

namespace {
class temp_folder {
 public:
  temp_folder() : path_(std::filesystem::temp_directory_path() / ("spate_fan_out_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
  }
  ~temp_folder() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

using update = std::pair<int, std::int64_t>;
struct checkpointed_outputs {
  std::vector<update> counts;
  std::vector<std::pair<int, std::uint64_t>> sums;
};
constexpr int n_keys = 5;
auto checkpointed_job(std::uint64_t n, checkpointed_outputs& o) {
  return spate::generate([](std::uint64_t i) { return i; }, n) |
         spate::key_by([](std::uint64_t i) { return static_cast<int>(i % n_keys); }) |
         spate::fan_out(spate::branch("counts") | spate::count() | spate::collect_into(o.counts),
                        spate::branch("sums") | spate::reduce([](std::uint64_t a, std::uint64_t b) { return a + b; }) |
                            spate::collect_into(o.sums));
}
}  // namespace

// (At another parallelism the generator source cannot resume; the branches'
// rescaling is the law above.)
TEST_CASE("fan_out in a checkpointed context: stopped, then resumed, exactly", "[fan_out][checkpoint]") {
  const std::uint64_t n = 20'000;
  for (auto [p1, p2] : {std::pair<std::size_t, std::size_t>{1, 1}, {2, 2}}) {
    INFO("parallelism " << p1 << " then " << p2);
    temp_folder d;
    const spate::checkpointing c{.interval = 20ms, .folder = d.path()};
    checkpointed_outputs first, second;
    {
      spate::context ctx{spate::continuous{}, spate::parallelism{p1}, spate::max_rate{4000}, c};
      ctx.add(checkpointed_job(n, first));
      ctx.start();
      REQUIRE(spate_test::await_checkpoints(ctx, 2));
      ctx.stop(spate::stop_mode::graceful);  // a final checkpoint
      ctx.await_termination();
    }
    REQUIRE(first.counts.size() < n);
    {
      spate::context ctx{spate::continuous{}, spate::parallelism{p2}, c};
      ctx.add(checkpointed_job(n, second));
      ctx.start();
      ctx.await_termination();
    }
    // the count branch: every key's updates over both runs are 1, 2, ..., its count
    std::map<int, std::vector<std::int64_t>> by_key;
    for (const auto* run : {&first, &second})
      for (const auto& [k, v] : run->counts) by_key[k].push_back(v);
    REQUIRE(by_key.size() == std::size_t(n_keys));
    for (const auto& [k, cs] : by_key) {
      INFO("key " << k);
      REQUIRE(cs.size() == n / n_keys);
      for (std::size_t i = 0; i < cs.size(); ++i) REQUIRE(cs[i] == std::int64_t(i + 1));
    }
    // the sum branch: its running sums went on from the restored ones, to
    // each key's total, one update per record
    std::map<int, std::uint64_t> last;
    for (const auto* run : {&first, &second})
      for (const auto& [k, v] : run->sums) last[k] = std::max(last[k], v);
    for (int k = 0; k < n_keys; ++k) {
      std::uint64_t total = 0;
      for (std::uint64_t i = std::uint64_t(k); i < n; i += n_keys) total += i;
      CHECK(last[k] == total);
    }
    CHECK(second.sums.size() + first.sums.size() == n);
  }
}

namespace {
auto keyed_branch_job(std::uint64_t n, std::vector<update>& sum_of_all, std::vector<update>& counts) {
  return spate::generate([](std::uint64_t i) { return i; }, n) |
         spate::fan_out(spate::branch("all") | spate::key_by([](std::uint64_t) { return 0; }) | spate::count() |
                            spate::collect_into(sum_of_all),
                        spate::branch("per key") | spate::key_by([](std::uint64_t i) { return static_cast<int>(i % n_keys); }) |
                            spate::count() | spate::collect_into(counts));
}
}  // namespace

TEST_CASE("fan_out: a keyed branch's state is checkpointed behind its own shuffle: stopped, resumed, exactly",
          "[fan_out][checkpoint][parallel]") {
  const std::uint64_t n = 20'000;
  for (std::size_t p : {1, 2}) {
    INFO("parallelism " << p);
    temp_folder d;
    const spate::checkpointing c{.interval = 20ms, .folder = d.path()};
    std::vector<update> all1, counts1, all2, counts2;
    {
      spate::context ctx{spate::continuous{}, spate::parallelism{p}, spate::max_rate{4000}, c};
      ctx.add(keyed_branch_job(n, all1, counts1));
      ctx.start();
      REQUIRE(spate_test::await_checkpoints(ctx, 2));
      ctx.stop(spate::stop_mode::graceful);
      ctx.await_termination();
    }
    REQUIRE(counts1.size() < n);
    if (p == 2) {  // at parallelism 1 the restore is refused, not half done
      std::vector<update> a, b;
      spate::context one{spate::continuous{}, spate::parallelism{1}, c};
      one.add(keyed_branch_job(n, a, b));
      one.start();
      CHECK_THROWS_WITH(one.await_termination(),
                        Catch::Contains("which the job does not have") || Catch::Contains("cannot resume as 1"));
      CHECK(b.empty());
    }
    {
      spate::context ctx{spate::continuous{}, spate::parallelism{p}, c};
      ctx.add(keyed_branch_job(n, all2, counts2));
      ctx.start();
      ctx.await_termination();
    }
    std::map<int, std::vector<std::int64_t>> by_key;
    for (const auto* run : {&counts1, &counts2})
      for (const auto& [k, v] : *run) by_key[k].push_back(v);
    REQUIRE(by_key.size() == std::size_t(n_keys));
    for (const auto& [k, cs] : by_key) {
      INFO("key " << k);
      REQUIRE(cs.size() == n / n_keys);
      for (std::size_t i = 0; i < cs.size(); ++i) REQUIRE(cs[i] == std::int64_t(i + 1));
    }
    REQUIRE(all1.size() + all2.size() == n);
    std::vector<std::int64_t> seq;
    for (const auto* run : {&all1, &all2})
      for (const auto& [k, v] : *run) seq.push_back(v);
    for (std::size_t i = 0; i < seq.size(); ++i) REQUIRE(seq[i] == std::int64_t(i + 1));
  }
}

TEST_CASE("fan_out on the sink thread (a branch's sink runs once per job): parallel == sequential",
          "[fan_out][parallel]") {
  const auto in = random_ints(12, 2000);
  struct outs {
    std::vector<int> seen;  // for_each(f): one instance, on the sink thread
    long evens = 0;
    bool operator==(const outs&) const = default;
  };
  auto sorted = [](outs o) {
    std::sort(o.seen.begin(), o.seen.end());
    return o;
  };
  spate_laws::parallel_equals_sequential<outs>(
      [&](outs& o) {
        return spate::from_collection(in) | spate::map(twice) |
               spate::fan_out(spate::branch() | spate::for_each([&o](int x) { o.seen.push_back(x); }),
                              spate::branch() | spate::filter(is_even) | spate::sum_into(o.evens));
      },
      sorted);
}
