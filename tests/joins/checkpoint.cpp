// A connected job under a context with checkpointing: stopped with a
// checkpoint and started again, it resumes both inputs where the checkpoint
// saw them and the join's state where it stood, so the two runs together
// emit exactly what one uninterrupted run emits.
#include <catch2/catch.hpp>

#include "../checkpoint/support.hpp"
#include "join_support.hpp"

#include <chrono>
#include <map>
#include <thread>
#include <vector>
#include "checkpoint_wait.hpp"

using namespace std::chrono_literals;
using namespace joins_test;

namespace {
constexpr std::uint64_t n = 6000;
left_rec left_at(std::uint64_t i) { return {int(i % 13), std::int64_t(i), int(i)}; }
right_rec right_at(std::uint64_t i) { return {int((i * 7) % 13), std::int64_t(i), int(i)}; }

auto job(std::vector<id_pair>& out) {
  auto a = spate::generate(left_at, n) | spate::with_watermarks(&left_rec::ts, spate::monotonous());
  auto b = spate::generate(right_at, n) | spate::with_watermarks(&right_rec::ts, spate::monotonous());
  return spate::connect(a, b) | spate::key_by(&left_rec::key, &right_rec::key) |
         spate::interval_join(-3ms, 3ms, ids) | spate::collect_into(out);
}
}  // namespace

TEST_CASE("connect + interval_join: a job stopped with a checkpoint resumes exactly", "[joins][checkpoint]") {
  std::vector<left_rec> as;
  std::vector<right_rec> bs;
  for (std::uint64_t i = 0; i < n; ++i) as.push_back(left_at(i)), bs.push_back(right_at(i));
  const auto expected = brute_interval(as, bs, -3, 3);
  for (std::size_t p : {std::size_t(1), std::size_t(2)}) {
    CAPTURE(p);
    chk_test::temp_dir d("spate_joins");
    const spate::checkpointing c{.interval = 20ms, .folder = d.path()};
    std::vector<id_pair> first, second;
    {
      spate::context ctx{spate::continuous{}, spate::parallelism{p}, spate::max_rate{4000}, c};
      ctx.add(job(first));
      ctx.start();
      REQUIRE(spate_test::await_checkpoints(ctx, 2));
      ctx.stop(spate::stop_mode::graceful);
      ctx.await_termination();
    }
    CHECK(first.size() < expected.size());  // stopped before the end
    {
      spate::context ctx{spate::continuous{}, spate::parallelism{p}, c};
      ctx.add(job(second));
      ctx.start();
      ctx.await_termination();
    }
    std::vector<id_pair> all = first;
    all.insert(all.end(), second.begin(), second.end());
    CHECK(sorted(all) == expected);
  }
}

namespace {
struct count_rules {
  using broadcast_state_type = std::map<std::int64_t, std::int64_t>;
  using output_type = std::int64_t;
  void process_element(std::uint64_t, const auto&, auto&) {}
  void process_broadcast(std::uint64_t r, auto& ctx, auto& out) {
    ctx.broadcast_state()[std::int64_t(r)] = 1;
    out(std::int64_t(r));
  }
};
}  // namespace

TEST_CASE("connect + broadcast: every instance resumes the broadcast input where it stood", "[joins][checkpoint]") {
  // Enough input that the first run, throttled, is still reading rules
  // after two checkpoints on a busy machine (the restart runs unthrottled).
  const std::uint64_t rules = 20'000;
  auto bjob = [&](std::vector<std::int64_t>& out) {
    return spate::connect(spate::generate([](std::uint64_t i) { return i; }, 20'000),
                          spate::broadcast(spate::generate([](std::uint64_t i) { return i; }, rules))) |
           spate::broadcast_process(count_rules{}) | spate::collect_into(out);
  };
  for (std::size_t p : {std::size_t(1), std::size_t(2)}) {
    CAPTURE(p);
    chk_test::temp_dir d("spate_joins_bc");
    const spate::checkpointing c{.interval = 20ms, .folder = d.path()};
    std::vector<std::int64_t> first, second;
    {
      spate::context ctx{spate::continuous{}, spate::parallelism{p}, spate::max_rate{2000}, c};
      ctx.add(bjob(first));
      ctx.start();
      REQUIRE(spate_test::await_checkpoints(ctx, 2));
      ctx.stop(spate::stop_mode::graceful);
      ctx.await_termination();
    }
    CHECK(first.size() < p * rules);  // stopped before the end
    {
      spate::context ctx{spate::continuous{}, spate::parallelism{p}, c};
      ctx.add(bjob(second));
      ctx.start();
      ctx.await_termination();
    }
    std::map<std::int64_t, std::size_t> seen;
    for (auto r : first) ++seen[r];
    for (auto r : second) ++seen[r];
    REQUIRE(seen.size() == rules);
    for (const auto& [r, times] : seen) {
      CAPTURE(r);
      REQUIRE(times == p);  // each instance saw each rule once, across both runs
    }
  }
}
