// Checkpointing of running jobs: barriers from the sources, snapshots of
// every segment, restore on start, the final checkpoint of a graceful stop
// and of a finished job.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <string_view>
#include <vector>

#include <spate/spate.hpp>

#include "support.hpp"
#include "checkpoint_wait.hpp"

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
namespace chk = spate::checkpoint;
using spate::checkpoint_id;

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

template <class Job, class... Opts>
void run_job_until_checkpoints(std::size_t at_least, Job job, Opts... opts) {
  spate::context ctx{opts...};
  ctx.add(std::move(job));
  ctx.start();
  REQUIRE(spate_test::await_checkpoints(ctx, at_least));
  ctx.stop(spate::stop_mode::graceful);  // with checkpointing: stop with a final checkpoint
  ctx.await_termination();
}

template <class... Opts>
void run_until_checkpoints(std::size_t at_least, std::uint64_t n, std::vector<update>& out, Opts... opts) {
  run_job_until_checkpoints(at_least, counting_job(n, out), opts...);
}

template <class... Opts>
void run_to_end(std::uint64_t n, std::vector<update>& out, Opts... opts) {
  spate::context ctx{opts...};
  ctx.add(counting_job(n, out));
  ctx.start();
  ctx.await_termination();
}

}  // namespace

TEST_CASE("docs: a context with checkpointing", "[checkpoint][job]") {
  chk_test::temp_dir d;
  std::vector<update> out;
  // [doc:checkpointing]
  spate::context ctx{spate::continuous{}, spate::parallelism{2},
                     spate::checkpointing{.interval = 1s, .folder = d.path() / "checkpoints"}};
  ctx.add(spate::generate([](std::uint64_t i) { return i; }, 10'000)
          | spate::key_by([](std::uint64_t i) { return static_cast<int>(i % 7); }) | spate::count()
          | spate::collect_into(out));
  ctx.start();              // restores the newest completed checkpoint in the folder, if there is one
  ctx.await_termination();  // the input ended: a final checkpoint marks the job finished
  // [end]
  check_exact(out, 10'000);
}

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

TEST_CASE("a text_file job stopped with a checkpoint resumes at the saved line", "[checkpoint][job]") {
  chk_test::temp_dir d;
  std::filesystem::create_directories(d.path());
  const std::uint64_t n = 20'000;
  const auto file = d.path() / "in.txt";
  {
    std::ofstream f(file);
    for (std::uint64_t i = 0; i < n; ++i) f << i << '\n';
  }
  auto job = [&](std::vector<update>& out) {
    return spate::text_file(file.string())
           | spate::map([](const std::string& l) { return static_cast<std::uint64_t>(std::stoull(l)); })
           | spate::key_by([](std::uint64_t i) { return static_cast<int>(i % keys); }) | spate::count()
           | spate::collect_into(out);
  };
  for (std::size_t p : {1u, 2u}) {
    CAPTURE(p);
    const spate::checkpointing c{.interval = 20ms, .folder = d.path() / ("c" + std::to_string(p))};
    std::vector<update> first, second;
    run_job_until_checkpoints(2, job(first), spate::continuous{}, spate::parallelism{p}, spate::max_rate{4000}, c);
    CHECK(first.size() < n);
    {
      spate::context ctx{spate::continuous{}, spate::parallelism{p}, c};
      ctx.add(job(second));
      ctx.start();
      ctx.await_termination();
    }
    first.insert(first.end(), second.begin(), second.end());
    check_exact(first, n);
  }
}

TEST_CASE("a text_files_in job stopped with a checkpoint resumes with the files and the line it had reached",
          "[checkpoint][job]") {
  chk_test::temp_dir d;
  const auto in = d.path() / "in";
  std::filesystem::create_directories(in);
  const std::uint64_t n = 15'000;
  for (int f = 0; f < 3; ++f) {
    std::ofstream out(in / ("part-" + std::to_string(f) + ".txt"));
    for (std::uint64_t i = static_cast<std::uint64_t>(f); i < n; i += 3) out << i << '\n';
  }
  std::atomic<std::size_t> counted{0};
  auto job = [&](std::vector<update>& out) {
    spate::directory_options o;
    o.include_existing = true;
    return spate::text_files_in(in.string(), o)
           | spate::map([](const std::string& l) { return static_cast<std::uint64_t>(std::stoull(l)); })
           | spate::key_by([](std::uint64_t i) { return static_cast<int>(i % keys); }) | spate::count()
           | spate::inspect([&](const update&) { counted.fetch_add(1); }) | spate::collect_into(out);
  };
  for (std::size_t p : {1u, 2u}) {
    CAPTURE(p);
    const spate::checkpointing c{.interval = 20ms, .folder = d.path() / ("c" + std::to_string(p))};
    std::vector<update> first, second;
    counted = 0;
    run_job_until_checkpoints(2, job(first), spate::continuous{}, spate::parallelism{p}, spate::max_rate{3000}, c);
    REQUIRE(first.size() < n);
    counted = first.size();
    {
      // The directory is watched without end: stop (with a checkpoint) once every line is counted.
      spate::context ctx{spate::continuous{}, spate::parallelism{p}, c};
      ctx.add(job(second));
      ctx.start();
      const auto deadline = std::chrono::steady_clock::now() + 60s;
      while (counted.load() < n && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
      ctx.stop();
      ctx.await_termination();
    }
    first.insert(first.end(), second.begin(), second.end());
    check_exact(first, n);
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
    REQUIRE(spate_test::await_checkpoints(ctx, 2));
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

  // Checkpointed at parallelism 2, restored at 3: keyed state would move
  // (key groups), but a generator's shards cannot be cut anew: said, not guessed.
  const spate::checkpointing c{.interval = 20ms, .folder = d.path() / "c"};
  std::vector<update> first;
  run_until_checkpoints(1, 20'000, first, spate::continuous{}, spate::parallelism{2}, spate::max_rate{4000}, c);
  {
    std::vector<update> out;
    spate::context ctx{spate::continuous{}, spate::parallelism{3}, c};
    ctx.add(counting_job(20'000, out));
    ctx.start();
    CHECK_THROWS_WITH(ctx.await_termination(), Contains("checkpointed as 2 shards and cannot resume as 3"));
  }
  // A job whose stateful stages moved: the message names the segment.
  {
    std::vector<std::uint64_t> out;
    spate::context ctx{spate::continuous{}, spate::parallelism{2}, c};
    ctx.add(spate::generate([](std::uint64_t i) { return i; }, 100) | spate::collect_into(out));
    ctx.start();
    CHECK_THROWS_WITH(ctx.await_termination(), Contains("which the job does not have"));
  }
  // The same job, but a stage moved: its state is named.
  {
    std::vector<update> out;
    spate::context ctx{spate::continuous{}, spate::parallelism{2}, c};
    ctx.add(spate::generate([](std::uint64_t i) { return i; }, 100) | spate::filter([](std::uint64_t) { return true; })
            | spate::key_by([](std::uint64_t i) { return static_cast<int>(i % keys); }) | spate::count()
            | spate::collect_into(out));
    ctx.start();
    CHECK_THROWS_WITH(ctx.await_termination(), Contains("'j0.2:fold', which the job does not have"));
  }
}

namespace {
std::atomic<int> injected_failures{0};

auto failing_job(std::uint64_t n, std::vector<update>& out, int fail_times) {
  return spate::generate([](std::uint64_t i) { return i; }, n)
         | spate::map([fail_times](std::uint64_t i) {
             if (i == 12'345 && injected_failures.fetch_add(1) < fail_times) throw std::runtime_error("injected failure");
             return i;
           })
         | spate::key_by([](std::uint64_t i) { return static_cast<int>(i % keys); }) | spate::count()
         | spate::collect_into(out);
}

// Every count of every key reached the output at least once, and the last
// one is the key's total.
void check_complete(const std::vector<update>& all, std::uint64_t n) {
  std::map<int, std::vector<bool>> seen;
  std::map<int, std::int64_t> last;
  for (const auto& [k, c] : all) {
    auto& v = seen[k];
    if (v.size() <= static_cast<std::size_t>(c)) v.resize(static_cast<std::size_t>(c) + 1);
    v[static_cast<std::size_t>(c)] = true;
    last[k] = c;
  }
  REQUIRE(seen.size() == keys);
  for (const auto& [k, v] : seen) {
    CAPTURE(k);
    const auto expected = static_cast<std::int64_t>(n / keys + (static_cast<std::uint64_t>(k) < n % keys ? 1 : 0));
    CHECK(last[k] == expected);
    for (std::int64_t c = 1; c <= expected; ++c) REQUIRE(v[static_cast<std::size_t>(c)]);
  }
}
}  // namespace

TEST_CASE("a restart strategy recovers from injected failures, from the newest checkpoint", "[checkpoint][job][restart]") {
  const std::uint64_t n = 20'000;
  for (std::size_t p : {1u, 2u}) {
    CAPTURE(p);
    chk_test::temp_dir d;
    injected_failures = 0;
    std::vector<update> out;
    // [doc:restart]
    spate::context ctx{spate::continuous{}, spate::parallelism{p}, spate::max_rate{4000},
                       spate::restart_strategy::fixed_delay(3, 10ms),  // or exponential_backoff(n, initial, max)
                       spate::checkpointing{.interval = 20ms, .folder = d.path()}};
    ctx.add(failing_job(n, out, 2));  // fails twice at record 12345
    ctx.start();
    ctx.await_termination();  // restarted twice from the newest checkpoint, then to the end
    // [end]
    CHECK(ctx.restarts() == 2);
    check_complete(out, n);
    // Restored, not started over: far fewer updates than three whole runs.
    CHECK(out.size() < 2 * n);
  }
}

TEST_CASE("a restart strategy: attempts used up, backoff, and restarts without checkpointing", "[checkpoint][job][restart]") {
  const std::uint64_t n = 20'000;
  {
    injected_failures = 0;
    std::vector<update> out;
    spate::context ctx{spate::continuous{}, spate::restart_strategy::exponential_backoff(2, 5ms, 20ms)};
    ctx.add(failing_job(n, out, 100));
    ctx.start();
    CHECK_THROWS_WITH(ctx.await_termination(), Contains("injected failure"));
    CHECK(ctx.restarts() == 2);
  }
  {
    injected_failures = 0;
    std::vector<update> out;
    spate::context ctx{spate::continuous{}, spate::parallelism{2}, spate::restart_strategy::fixed_delay(1, 0ms)};
    ctx.add(failing_job(n, out, 1));
    ctx.start();
    ctx.await_termination();
    CHECK(ctx.restarts() == 1);
    check_complete(out, n);  // the second run started over: its counts go to the end
  }
  {
    injected_failures = 0;
    std::vector<update> out;
    spate::context ctx{spate::continuous{}};  // none: the first failure ends the context
    ctx.add(failing_job(n, out, 1));
    ctx.start();
    CHECK_THROWS_WITH(ctx.await_termination(), Contains("injected failure"));
    CHECK(ctx.restarts() == 0);
  }
  CHECK(spate::restart_strategy::exponential_backoff(5, 10ms, 50ms).delay_before(1) == 10ms);
  CHECK(spate::restart_strategy::exponential_backoff(5, 10ms, 50ms).delay_before(3) == 40ms);
  CHECK(spate::restart_strategy::exponential_backoff(5, 10ms, 50ms).delay_before(5) == 50ms);
  CHECK_THROWS(spate::restart_strategy::exponential_backoff(5, 50ms, 10ms));
}

TEST_CASE("rescale law: a keyed count checkpointed by 2 subtasks continues in 1 and in 3", "[checkpoint][law]") {
  std::mt19937 rng(20261202);
  std::uniform_int_distribution<int> key(0, 400);
  std::vector<std::string> a(3000), b(3000);
  for (auto& x : a) x = "k" + std::to_string(key(rng));
  for (auto& x : b) x = "k" + std::to_string(key(rng));
  using counts = std::map<std::string, std::int64_t>;
  auto job = [](counts& out) {
    return spate::from_elements(std::string{}) | spate::key_by([](const std::string& s) { return s; }) | spate::count()
           | spate::collect_into(out);
  };
  spate::rolling_env env;
  counts expected;
  {
    auto whole = spate::fuse::build(env, job(expected));
    for (auto& x : a) whole.push(x);
    for (auto& x : b) whole.push(x);
  }
  const spate::key_groups kg;
  // Two subtasks read a, each the keys of its key groups, and snapshot.
  counts before[2];
  std::vector<std::string> snapshots;
  {
    auto c0 = spate::fuse::build(env, job(before[0]));
    auto c1 = spate::fuse::build(env, job(before[1]));
    for (auto& x : a) (kg.worker_of(x, 2) == 0 ? c0.push(x) : c1.push(x));
    snapshots.push_back(spate::snapshot_chain(c0).states.at(0));
    snapshots.push_back(spate::snapshot_chain(c1).states.at(0));
  }
  const std::vector<std::string_view> parts{snapshots[0], snapshots[1]};
  for (std::size_t p : {1u, 3u}) {
    CAPTURE(p);
    std::vector<counts> after(p);
    std::vector<decltype(spate::fuse::build(env, job(after[0])))> chains;
    chains.reserve(p);
    for (std::size_t w = 0; w < p; ++w) {
      chains.push_back(spate::fuse::build(env, job(after[w])));
      bool restored = false;
      spate::for_each_stage(chains.back(), [&](auto& st) {
        if constexpr (requires { st.restore_rescaled(parts, spate::key_group_range{}); })
          restored = st.restore_rescaled(parts, kg.range_of(w, p));
      });
      REQUIRE(restored);
    }
    for (auto& x : b) chains[kg.worker_of(x, p)].push(x);
    counts got = before[0];
    got.insert(before[1].begin(), before[1].end());
    for (std::size_t w = 0; w < p; ++w)
      for (const auto& [k, c] : after[w]) {
        CHECK(kg.range_of(w, p).contains(kg.group_of(k)));  // each key continued in the subtask that owns it
        got[k] = c;
      }
    CHECK(got == expected);
  }
}

TEST_CASE("savepoints: taken while running and at a stop, restored in a new folder", "[checkpoint][job][savepoint]") {
  chk_test::temp_dir d;
  const std::uint64_t n = 20'000;
  const auto sp1 = d.path() / "sp-running", sp2 = d.path() / "sp-stop";
  std::vector<update> first, second, third;
  {
    // [doc:savepoint]
    spate::context ctx{spate::continuous{}, spate::parallelism{2}, spate::max_rate{4000},
                       spate::checkpointing{.interval = 20ms, .folder = d.path() / "a"}};
    ctx.add(counting_job(n, first));
    ctx.start();
    // ... later, while it runs:
    while (ctx.checkpoints()->completed() < 3) std::this_thread::sleep_for(5ms);
    const checkpoint_id id = ctx.savepoint(sp1);  // blocks until written
    // [end]
    CHECK(id >= 1);
    ctx.stop(spate::stop_mode::immediate);
  }
  {
    // A new job restores the savepoint; stopped with another savepoint.
    spate::context ctx{spate::continuous{}, spate::parallelism{2}, spate::max_rate{4000},
                       spate::checkpointing{.interval = 20ms, .folder = d.path() / "b", .restore_from = sp1}};
    ctx.add(counting_job(n, second));
    ctx.start();
    REQUIRE(spate_test::await_checkpoints(ctx, 2));
    ctx.stop_with_savepoint(sp2);
  }
  {
    spate::context ctx{spate::continuous{}, spate::parallelism{2},
                       spate::checkpointing{.interval = 20ms, .folder = d.path() / "c", .restore_from = sp2}};
    ctx.add(counting_job(n, third));
    ctx.start();
    ctx.await_termination();
  }
  // The savepoint taken while running: the second run continued from it
  // (after an immediate stop, the first run may have gone further).
  std::map<int, std::int64_t> first_max;
  for (const auto& [k, v] : first) first_max[k] = std::max(first_max[k], v);
  std::map<int, std::int64_t> second_min;
  for (const auto& [k, v] : second)
    if (!second_min.count(k)) second_min[k] = v;
  for (const auto& [k, v] : second_min) {
    CAPTURE(k);
    CHECK(v > 1);
    CHECK(v <= first_max[k] + 1);
  }
  // The stop with a savepoint is exact: second then third is one run from the first savepoint on.
  std::map<int, std::vector<std::int64_t>> by_key;
  for (const auto& [k, c] : second) by_key[k].push_back(c);
  for (const auto& [k, c] : third) by_key[k].push_back(c);
  for (const auto& [k, cs] : by_key) {
    CAPTURE(k);
    for (std::size_t i = 1; i < cs.size(); ++i) REQUIRE(cs[i] == cs[i - 1] + 1);
    CHECK(cs.back() == static_cast<std::int64_t>(n / keys + (static_cast<std::uint64_t>(k) < n % keys ? 1 : 0)));
  }
  CHECK_THROWS_WITH((spate::context{spate::continuous{}}.savepoint(sp1)), Contains("no checkpointing"));
}

TEST_CASE("a corrupted newest checkpoint: the job restores the one before, with a warning", "[checkpoint][job]") {
  chk_test::temp_dir d;
  const std::uint64_t n = 20'000;
  const spate::checkpointing c{.interval = 20ms, .folder = d.path(), .retained = 2};
  std::vector<update> first, second;
  {
    spate::context ctx{spate::continuous{}, spate::parallelism{2}, spate::max_rate{4000}, c};
    ctx.add(counting_job(n, first));
    ctx.start();
    REQUIRE(spate_test::await_checkpoints(ctx, 3));
    ctx.stop(spate::stop_mode::immediate);
  }
  // The newest checkpoint with a manifest: flip a byte of one of its state files.
  std::uint64_t newest = 0;
  for (const auto& e : std::filesystem::directory_iterator(d.path())) {
    const auto name = e.path().filename().string();
    if (name.rfind("chk-", 0) == 0 && std::filesystem::exists(e.path() / "MANIFEST"))
      newest = std::max<std::uint64_t>(newest, std::stoull(name.substr(4)));
  }
  REQUIRE(newest >= 2);
  bool flipped = false;
  for (const auto& e : std::filesystem::directory_iterator(d.path() / ("chk-" + std::to_string(newest)))) {
    if (e.path().extension() != ".state" || flipped) continue;
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(20);
    char b = 0;
    f.read(&b, 1);
    b = static_cast<char>(b ^ 0x5a);
    f.seekp(20);
    f.write(&b, 1);
    flipped = true;
  }
  REQUIRE(flipped);
  {
    spate::context ctx{spate::continuous{}, spate::parallelism{2}, c};
    ctx.add(counting_job(n, second));
    ctx.start();
    REQUIRE(ctx.checkpoints()->restored_id());
    CHECK(*ctx.checkpoints()->restored_id() < newest);  // the one before the corrupted one
    ctx.await_termination();
  }
  first.insert(first.end(), second.begin(), second.end());
  check_complete(first, n);  // nothing lost
}

TEST_CASE("micro-batch at P=2 with a slow sink: barriers follow one batch end at every shard, no input waits forever",
          "[checkpoint][job]") {
  // Barriers injected at any point would let one input of a valve be ahead
  // by a batch end while the other is ahead by a barrier: neither read again.
  chk_test::temp_dir d;
  const std::uint64_t n = 6'000;
  std::vector<std::uint64_t> out;
  spate::context ctx{spate::micro_batch{30ms}, spate::parallelism{2}, spate::max_rate{3000},
                     spate::queue_capacity{64}, spate::checkpointing{.interval = 20ms, .folder = d.path()}};
  ctx.add(spate::generate([](std::uint64_t i) { return i; }, n)
          | spate::key_by([](std::uint64_t i) { return static_cast<int>(i % keys); })
          | spate::map([](std::uint64_t i) { return i; })
          | spate::for_each([&](std::uint64_t i) {
              out.push_back(i);
              if (out.size() % 10 == 0) std::this_thread::sleep_for(2ms);  // slower than the input: queues fill
            }));
  ctx.start();
  REQUIRE(ctx.await_termination_for(120s));
  CHECK(ctx.checkpoints()->completed() >= 2);
  std::sort(out.begin(), out.end());
  REQUIRE(out.size() == n);
  for (std::uint64_t i = 0; i < n; ++i) REQUIRE(out[i] == i);
}

namespace {
template <class J>
std::vector<std::string> uids_of(J job) {
  spate::exec::job_runner<J> r{std::move(job)};
  std::vector<std::string> out;
  for (const auto& [uid, what] : r.identities()) out.push_back(uid);
  return out;
}
}  // namespace

TEST_CASE("uid pins a stage's identity: a changed job still restores its state", "[checkpoint][job][uid]") {
  const std::uint64_t n = 20'000;
  chk_test::temp_dir d;
  const spate::checkpointing c{.interval = 20ms, .folder = d.path()};
  auto by_key = [](std::uint64_t i) { return static_cast<int>(i % keys); };
  std::vector<update> first, second;
  // [doc:uid]
  run_job_until_checkpoints(2,
                            spate::generate([](std::uint64_t i) { return i; }, n) | spate::uid("numbers")
                                | spate::key_by(by_key) | spate::count() | spate::uid("counts")
                                | spate::collect_into(first),
                            spate::continuous{}, spate::max_rate{4000}, c);
  // The next version of the job has a stage more before the count: the
  // count's state is found by its pinned uid, not by its position.
  spate::context ctx{spate::continuous{}, c};
  ctx.add(spate::generate([](std::uint64_t i) { return i; }, n) | spate::uid("numbers")
          | spate::filter([](std::uint64_t) { return true; }) | spate::key_by(by_key) | spate::count()
          | spate::uid("counts") | spate::collect_into(second));
  ctx.start();
  ctx.await_termination();
  // [end]
  CHECK(first.size() < n);
  std::vector<update> all = first;
  all.insert(all.end(), second.begin(), second.end());
  check_exact(all, n);
}

TEST_CASE("uid: where a pin lands, and pins that clash", "[checkpoint][uid]") {
  std::vector<update> out;
  auto src = [] { return spate::generate([](std::uint64_t i) { return i; }, 10); };
  auto by_key = [](std::uint64_t i) { return static_cast<int>(i % keys); };
  // Derived: position and name; the source's and the sink's by name.
  CHECK(uids_of(src() | spate::key_by(by_key) | spate::count() | spate::collect_into(out)) ==
        std::vector<std::string>{"j0.source:generate", "j0.1:key_by", "j0.2:fold", "j0.sink:collect_into"});
  // A pin after the source, a stage and the sink.
  CHECK(uids_of(src() | spate::uid("in") | spate::key_by(by_key) | spate::count() | spate::uid("n")
                | spate::collect_into(out) | spate::uid("out")) ==
        std::vector<std::string>{"in", "j0.1:key_by", "n", "out"});
  // Pins inside a reusable chain keep to their stage wherever the chain goes.
  auto counting = spate::key_by(by_key) | spate::count() | spate::uid("n");
  auto first_pinned = spate::map([](std::uint64_t i) { return i; }) | spate::uid("m");
  CHECK(uids_of(src() | spate::filter([](std::uint64_t) { return true; }) | counting | spate::collect_into(out)) ==
        std::vector<std::string>{"j0.source:generate", "j0.1:filter", "j0.2:key_by", "n", "j0.sink:collect_into"});
  CHECK(uids_of(src() | (first_pinned | counting) | spate::collect_into(out)) ==
        std::vector<std::string>{"j0.source:generate", "m", "j0.2:key_by", "n", "j0.sink:collect_into"});
  // A window pinned before or after its function: the pin is the window stage's.
  struct ev {
    int k = 0;
    spate::event_time ts{};
  };
  auto events = [] { return spate::from_elements(ev{}) | spate::with_watermarks(&ev::ts, spate::bounded_out_of_orderness(0ms)); };
  std::vector<spate::window_result<int, std::int64_t>> wout;
  const std::vector<std::string> window_pinned{"j0.source:range source", "j0.1:with_watermarks", "j0.2:key_by", "w",
                                               "j0.sink:collect_into"};
  CHECK(uids_of(events() | spate::key_by(&ev::k) | spate::window(spate::tumbling(10ms), &ev::ts) | spate::uid("w")
                | spate::count() | spate::collect_into(wout)) == window_pinned);
  CHECK(uids_of(events() | spate::key_by(&ev::k) | spate::window(spate::tumbling(10ms), &ev::ts) | spate::count()
                | spate::uid("w") | spate::collect_into(wout)) == window_pinned);
  // A chain stage that puts a stage of its own in front (reduce_by_key on
  // pairs adds a key_by): the pin stays on the stage it was given to.
  std::vector<std::pair<int, std::uint64_t>> sums;
  auto summed = spate::map([](std::uint64_t i) { return std::pair<int, std::uint64_t>(static_cast<int>(i % 7), i); })
                | spate::reduce_by_key(std::plus<>{}) | spate::uid("r");
  const auto ids = uids_of(src() | summed | spate::collect_into(sums));
  REQUIRE(ids.size() == 5);
  CHECK(ids[1] == "j0.1:map");
  CHECK(ids[2].starts_with("j0.2:"));
  CHECK(ids[3] == "r");
  CHECK_THROWS_WITH(spate::uid(""), Contains("must not be empty"));
  {
    spate::context ctx{spate::continuous{}};
    CHECK_THROWS_WITH(ctx.add(src() | spate::uid("x") | spate::key_by(by_key) | spate::count() | spate::uid("x")
                              | spate::collect_into(out)),
                      Contains("uid 'x' is given to the source (generate) of job 0 and to stage 2 (fold) of job 0"));
    ctx.add(src() | spate::key_by(by_key) | spate::count() | spate::uid("shared") | spate::collect_into(out));
    CHECK_THROWS_WITH(
        ctx.add(src() | spate::key_by(by_key) | spate::count() | spate::uid("shared") | spate::collect_into(out)),
        Contains("uid 'shared' is given to stage 2 (fold) of job 1 and to stage 2 (fold) of job 0"));
  }
}
