// Checkpointing of running jobs: barriers from the sources, snapshots of
// every segment, restore on start, the final checkpoint of a graceful stop
// and of a finished job.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <spate/spate.hpp>

#include "support.hpp"

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
namespace chk = spate::checkpoint;

namespace {

constexpr std::uint64_t keys = 7;

using update = std::pair<int, std::int64_t>;

auto counting_job(std::uint64_t n, std::vector<update>& out) {
  return spate::generate([](std::uint64_t i) { return i; }, n)
         | spate::key_by([](std::uint64_t i) { return static_cast<int>(i % keys); }) | spate::count()
         | spate::collect_into(out);
}

// Every key's updates, in order, are exactly 1, 2, ..., its count: nothing
// lost, nothing repeated.
void check_exact(const std::vector<update>& all, std::uint64_t n) {
  std::map<int, std::vector<std::int64_t>> by_key;
  for (const auto& [k, c] : all) by_key[k].push_back(c);
  REQUIRE(by_key.size() == keys);
  for (const auto& [k, cs] : by_key) {
    CAPTURE(k);
    const auto expected = static_cast<std::int64_t>(n / keys + (static_cast<std::uint64_t>(k) < n % keys ? 1 : 0));
    REQUIRE(static_cast<std::int64_t>(cs.size()) == expected);
    for (std::size_t i = 0; i < cs.size(); ++i) REQUIRE(cs[i] == static_cast<std::int64_t>(i + 1));
  }
}

template <class... Opts>
void run_until_checkpoints(std::size_t at_least, std::uint64_t n, std::vector<update>& out, Opts... opts) {
  spate::context ctx{opts...};
  ctx.add(counting_job(n, out));
  ctx.start();
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (ctx.checkpoints()->completed() < at_least && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  REQUIRE(ctx.checkpoints()->completed() >= at_least);
  ctx.stop(spate::stop_mode::graceful);  // with checkpointing: stop with a final checkpoint
  ctx.await_termination();
}

template <class... Opts>
void run_to_end(std::uint64_t n, std::vector<update>& out, Opts... opts) {
  spate::context ctx{opts...};
  ctx.add(counting_job(n, out));
  ctx.start();
  ctx.await_termination();
}

}  // namespace

TEST_CASE("a job stopped with a checkpoint resumes exactly where it stopped", "[checkpoint][job]") {
  struct shape {
    bool batched;
    std::size_t p;
  };
  for (auto s : {shape{false, 1}, shape{false, 2}, shape{true, 2}, shape{true, 1}}) {
    CAPTURE(s.batched, s.p);
    chk_test::temp_dir d;
    const std::uint64_t n = 20'000;
    const spate::checkpointing c{.interval = 20ms, .folder = d.path()};
    std::vector<update> first, second;
    auto go = [&](auto mode) {
      run_until_checkpoints(2, n, first, mode, spate::parallelism{s.p}, spate::max_rate{4000}, c);
      CHECK(first.size() < n);  // stopped before the end
      run_to_end(n, second, mode, spate::parallelism{s.p}, c);
    };
    if (s.batched)
      go(spate::micro_batch{50ms});
    else
      go(spate::continuous{});
    if (!s.batched) {
      std::vector<update> all = first;
      all.insert(all.end(), second.begin(), second.end());
      check_exact(all, n);
    } else {
      // Micro-batch: counts are emitted per batch, the latest of each key.
      std::map<int, std::int64_t> last;
      for (const auto& [k, v] : first) last[k] = std::max(last[k], v);
      for (const auto& [k, v] : second) {
        CHECK(v > last[k]);  // the second run continues the restored counts
        last[k] = v;
      }
      for (std::uint64_t k = 0; k < keys; ++k)
        CHECK(last[static_cast<int>(k)] == static_cast<std::int64_t>(n / keys + (k < n % keys ? 1 : 0)));
    }
    // The job finished: its final checkpoint says so, and a third start has
    // nothing to do.
    std::vector<update> third;
    run_to_end(n, third, spate::continuous{}, spate::parallelism{s.p}, c);
    CHECK(third.empty());
  }
}

TEST_CASE("an immediate stop after checkpoints loses nothing: the restart replays from the last one",
          "[checkpoint][job]") {
  chk_test::temp_dir d;
  const std::uint64_t n = 20'000;
  const spate::checkpointing c{.interval = 20ms, .folder = d.path()};
  std::vector<update> first, second;
  {
    spate::context ctx{spate::continuous{}, spate::parallelism{2}, spate::max_rate{4000}, c};
    ctx.add(counting_job(n, first));
    ctx.start();
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (ctx.checkpoints()->completed() < 2 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    REQUIRE(ctx.checkpoints()->completed() >= 2);
    ctx.stop(spate::stop_mode::immediate);  // as a crash: no final checkpoint
  }
  run_to_end(n, second, spate::continuous{}, spate::parallelism{2}, c);
  REQUIRE(!second.empty());
  // The second run restored counts: its first update of each key continues
  // from a count the first run had emitted (at least once), and ends exact.
  std::map<int, std::int64_t> first_max, second_min, second_max;
  for (const auto& [k, v] : first) first_max[k] = std::max(first_max[k], v);
  for (const auto& [k, v] : second) {
    if (!second_min.count(k)) second_min[k] = v;
    second_max[k] = std::max(second_max[k], v);
  }
  for (const auto& [k, v] : second_min) {
    CAPTURE(k);
    CHECK(v <= first_max[k] + 1);  // no gap: nothing lost
    CHECK(v > 1);                  // restored: not from the start
  }
  for (std::uint64_t k = 0; k < keys; ++k)
    CHECK(second_max[static_cast<int>(k)] == static_cast<std::int64_t>(n / keys + (k < n % keys ? 1 : 0)));
}

TEST_CASE("checkpointing misconfigured or restoring into another job fails with a message", "[checkpoint][job]") {
  chk_test::temp_dir d;
  std::filesystem::create_directories(d.path());
  {
    std::ofstream f(d.path() / "file");
    f << "x";
  }
  CHECK_THROWS_WITH((spate::context{spate::checkpointing{.interval = 1s, .folder = d.path() / "file" / "sub"}}),
                    Contains("cannot be created"));
  CHECK_THROWS_WITH((spate::context{spate::checkpointing{.interval = 0ms, .folder = d.path() / "c"}}),
                    Contains("interval"));

  // Checkpointed at parallelism 2, restored at 3: said, not guessed.
  const spate::checkpointing c{.interval = 20ms, .folder = d.path() / "c"};
  std::vector<update> first;
  run_until_checkpoints(1, 20'000, first, spate::continuous{}, spate::parallelism{2}, spate::max_rate{4000}, c);
  {
    std::vector<update> out;
    spate::context ctx{spate::continuous{}, spate::parallelism{3}, c};
    ctx.add(counting_job(20'000, out));
    CHECK_THROWS_WITH(ctx.start(), Contains("taken at parallelism 2"));
  }
  // A job whose stateful stages moved: the message names the segment.
  {
    std::vector<std::uint64_t> out;
    spate::context ctx{spate::continuous{}, spate::parallelism{2}, c};
    ctx.add(spate::generate([](std::uint64_t i) { return i; }, 100) | spate::collect_into(out));
    ctx.start();
    CHECK_THROWS_WITH(ctx.await_termination(), Contains("which the job does not have"));
  }
}
