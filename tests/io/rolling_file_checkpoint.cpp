// rolling_text_files under checkpointing: parts in progress, pending at a
// barrier, committed when the checkpoint completes; after a crash (an
// immediate stop) and a restart the visible parts hold every record exactly
// once. Without checkpointing the sink is as it was.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <spate/spate.hpp>

#include "../checkpoint/support.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// What a reader of the folder sees: the visible parts (in name order, which
/// is part order) and their lines; the hidden files beside them.
struct output {
  std::vector<std::string> visible, hidden;
  std::vector<std::uint64_t> values;  ///< the lines of the visible parts, part after part
};

output read_output(const fs::path& dir, const std::string& prefix = "part") {
  output o;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    (name.starts_with('.') ? o.hidden : o.visible).push_back(name);
  }
  std::sort(o.visible.begin(), o.visible.end());
  std::sort(o.hidden.begin(), o.hidden.end());
  for (const auto& name : o.visible) {
    CAPTURE(name);
    REQUIRE(name.starts_with(prefix + "-"));
    std::ifstream f(dir / name, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string text = ss.str();
    REQUIRE(!text.empty());          // no empty part
    REQUIRE(text.back() == '\n');    // no part cut in the middle of a line
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      REQUIRE(!line.empty());
      o.values.push_back(std::stoull(line));
    }
  }
  return o;
}

/// The values of generate(i -> i, n) read as `p` shards (shard s: s, s+p,
/// ...), each shard in order with nothing lost or repeated: a prefix of every
/// shard's sequence, or (complete) all of it.
void check_shards(const std::vector<std::uint64_t>& values, std::size_t p, std::uint64_t n, bool complete) {
  std::vector<std::uint64_t> next(p);
  for (std::size_t s = 0; s < p; ++s) next[s] = s;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::uint64_t v = values[i];
    CAPTURE(i, v);
    REQUIRE(v < n);
    const std::size_t s = v % p;
    REQUIRE(v == next[s]);  // the next one of its shard: no gap, no repeat
    next[s] += p;
  }
  if (complete) {
    CHECK(values.size() == n);
    for (std::size_t s = 0; s < p; ++s) CHECK(next[s] >= n);
  } else {
    CHECK(values.size() < n);
  }
}

/// Checkpoints every `interval` into `folder` (the other options default).
spate::checkpointing checkpoints_every(std::chrono::milliseconds interval, const fs::path& folder) {
  spate::checkpointing c;
  c.interval = interval;
  c.folder = folder;
  return c;
}

/// The newest checkpoint in `folder` that has a manifest (0: none).
spate::checkpoint_id newest_checkpoint(const fs::path& folder) {
  spate::checkpoint_id n = 0;
  for (const auto& e : fs::directory_iterator(folder)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("chk-") && fs::exists(e.path() / "MANIFEST"))
      n = std::max<spate::checkpoint_id>(n, std::stoull(name.substr(4)));
  }
  return n;
}

auto numbers(std::uint64_t n, const fs::path& out) {
  return spate::generate([](std::uint64_t i) { return i; }, n)
         | spate::rolling_text_files(out.string(), {.max_bytes = 1000});
}

template <class Mode>
void crash_and_restart(Mode mode, std::size_t p, bool graceful) {
  chk_test::temp_dir d;
  const fs::path out = d.path() / "out";
  fs::create_directories(out);
  const std::uint64_t n = 40'000;
  const spate::checkpointing c = checkpoints_every(20ms, d.path() / "checkpoints");
  {
    spate::context ctx{mode, spate::parallelism{p}, spate::max_rate{4000}, c};
    ctx.add(numbers(n, out));
    ctx.start();
    // Until checkpoints completed and some parts are visible.
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while ((ctx.checkpoints()->completed() < 3 || read_output(out).visible.empty()) &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    REQUIRE(ctx.checkpoints()->completed() >= 3);
    ctx.stop(graceful ? spate::stop_mode::graceful : spate::stop_mode::immediate);
    if (graceful) ctx.await_termination();
  }
  {
    // What a crash left: committed parts hold a prefix of every shard; parts
    // in progress or pending are hidden and their records are in no
    // visible part.
    const auto o = read_output(out);
    REQUIRE(!o.visible.empty());
    check_shards(o.values, p, n, false);
    if (graceful) CHECK(o.hidden.empty());  // stopped with a checkpoint: everything before it committed
    if (!graceful) {
      // As if the crash had also come before checkpoint c's listener renamed
      // its parts, and while a later barrier made a part pending: the
      // restart commits the first, deletes the second.
      const spate::checkpoint_id restored = newest_checkpoint(c.folder);
      REQUIRE(restored > 0);
      const std::string last = o.visible.back();
      fs::rename(out / last, out / ("." + last + ".pending-" + std::to_string(restored)));
      std::ofstream(out / (".part-99990.pending-" + std::to_string(restored + 1))) << "99999999\n";
    }
  }
  {
    spate::context ctx{mode, spate::parallelism{p}, c};
    ctx.add(numbers(n, out));
    ctx.start();  // commits what the restored checkpoint counts, drops the rest, replays from it
    ctx.await_termination();
  }
  const auto all = read_output(out);
  check_shards(all.values, p, n, true);
  CHECK(all.hidden.empty());
  // The job finished: a third start runs nothing and changes nothing.
  {
    spate::context ctx{mode, spate::parallelism{p}, c};
    ctx.add(numbers(n, out));
    ctx.start();
    ctx.await_termination();
  }
  const auto again = read_output(out);
  CHECK(again.visible == all.visible);
  CHECK(again.values == all.values);
}

}  // namespace

TEST_CASE("docs: exactly-once rolling files", "[rolling][checkpoint]") {
  chk_test::temp_dir d;
  const fs::path out = d.path() / "out";
  fs::create_directories(out);
  // [doc:exactly_once_files]
  spate::checkpointing c;  // a checkpoint every second into d/checkpoints
  c.interval = 1s;
  c.folder = d.path() / "checkpoints";
  spate::context ctx{spate::continuous{}, spate::parallelism{2}, c};
  ctx.add(spate::generate([](std::uint64_t i) { return i; }, 10'000)
          | spate::rolling_text_files(out.string(), {.max_bytes = 16 << 10}));  // parts commit with checkpoints
  ctx.start();              // a restart first commits or drops what the last run left hidden
  ctx.await_termination();  // the final checkpoint commits the last parts
  // [end]
  const auto o = read_output(out);
  check_shards(o.values, 2, 10'000, true);
  CHECK(o.hidden.empty());
}

TEST_CASE("rolling_text_files with checkpointing: a crash and a restart commit every line exactly once",
          "[rolling][checkpoint]") {
  SECTION("continuous, P = 1") { crash_and_restart(spate::continuous{}, 1, false); }
  SECTION("continuous, P = 2") { crash_and_restart(spate::continuous{}, 2, false); }
  SECTION("micro-batch, P = 1") { crash_and_restart(spate::micro_batch{30ms}, 1, false); }
  SECTION("micro-batch, P = 2") { crash_and_restart(spate::micro_batch{30ms}, 2, false); }
}

TEST_CASE("rolling_text_files with checkpointing: a stop with a checkpoint commits everything before it",
          "[rolling][checkpoint]") {
  SECTION("continuous, P = 2") { crash_and_restart(spate::continuous{}, 2, true); }
  SECTION("micro-batch, P = 1") { crash_and_restart(spate::micro_batch{30ms}, 1, true); }
  SECTION("micro-batch, P = 2") { crash_and_restart(spate::micro_batch{30ms}, 2, true); }
}

TEST_CASE("rolling_text_files with checkpointing: parts left pending for the final checkpoint are committed on restart",
          "[rolling][checkpoint]") {
  chk_test::temp_dir d;
  const fs::path out = d.path() / "out";
  fs::create_directories(out);
  const std::uint64_t n = 5'000;
  const spate::checkpointing c = checkpoints_every(20ms, d.path() / "checkpoints");
  auto run = [&] {
    spate::context ctx{spate::continuous{}, c};
    ctx.add(numbers(n, out));
    ctx.start();
    ctx.await_termination();
  };
  run();
  const auto all = read_output(out);
  check_shards(all.values, 1, n, true);
  REQUIRE(all.visible.size() >= 2);
  // As a crash between the final checkpoint and its commit leaves the
  // folder: the last parts still pending for it, a part in progress beside.
  const spate::checkpoint_id final_id = newest_checkpoint(c.folder);
  REQUIRE(final_id > 0);
  for (std::size_t i = all.visible.size() - 2; i < all.visible.size(); ++i)
    fs::rename(out / all.visible[i], out / ("." + all.visible[i] + ".pending-" + std::to_string(final_id)));
  std::ofstream(out / ".part-99999.inprogress") << "12345\n";
  REQUIRE(read_output(out).values.size() < n);
  run();  // the job is finished: nothing runs, the pending parts are committed
  const auto again = read_output(out);
  CHECK(again.visible == all.visible);
  CHECK(again.values == all.values);
  CHECK(again.hidden.empty());
}

TEST_CASE("rolling_text_files with checkpointing: a restart strategy's restart commits every line exactly once",
          "[rolling][checkpoint][restart]") {
  static std::atomic<int> failures{0};
  for (std::size_t p : {1u, 2u}) {
    CAPTURE(p);
    chk_test::temp_dir d;
    const fs::path out = d.path() / "out";
    fs::create_directories(out);
    failures = 0;
    const std::uint64_t n = 8'000;
    spate::context ctx{spate::continuous{}, spate::parallelism{p}, spate::max_rate{4000},
                       spate::restart_strategy::fixed_delay(2, 10ms), checkpoints_every(20ms, d.path() / "checkpoints")};
    ctx.add(spate::generate([](std::uint64_t i) { return i; }, n) | spate::map([](std::uint64_t i) {
              if (i == 3'000 && failures.fetch_add(1) == 0) throw std::runtime_error("injected failure");
              return i;
            })
            | spate::rolling_text_files(out.string(), {.max_bytes = 1000}));
    ctx.start();
    ctx.await_termination();  // failed once, restarted in the same process from the newest checkpoint
    CHECK(ctx.restarts() == 1);
    const auto o = read_output(out);
    check_shards(o.values, p, n, true);
    CHECK(o.hidden.empty());
  }
}

TEST_CASE("rolling_text_files without checkpointing: parts renamed when complete, as before", "[rolling]") {
  SECTION("continuous, by size, P = 2") {
    chk_test::temp_dir d;
    fs::create_directories(d.path());
    spate::context ctx{spate::continuous{}, spate::parallelism{2}};
    ctx.add(spate::generate([](std::uint64_t i) { return i; }, 5'000)
            | spate::rolling_text_files(d.path().string(), {.prefix = "log", .max_bytes = 1000}));
    ctx.start();
    ctx.await_termination();
    const auto o = read_output(d.path(), "log");
    CHECK(o.hidden.empty());
    REQUIRE(o.visible.size() >= 3);
    // One instance per worker, no sink thread: worker w numbers its parts
    // w, w + 2, w + 4, ... with no gap of its own.
    std::vector<std::size_t> parts[2];
    for (const auto& name : o.visible) {
      CAPTURE(name);
      REQUIRE(name.size() == 9);  // log-NNNNN
      const std::size_t n = std::stoul(name.substr(4));
      parts[n % 2].push_back(n);
      CHECK(fs::file_size(d.path() / name) < 1010);
    }
    for (std::size_t w = 0; w < 2; ++w) {
      CAPTURE(w);
      REQUIRE(!parts[w].empty());  // both workers wrote parts
      for (std::size_t i = 0; i < parts[w].size(); ++i) CHECK(parts[w][i] == w + 2 * i);
    }
    // Each part holds one worker's records, in order: read in name order,
    // every shard of the generator is complete and in order.
    check_shards(o.values, 2, 5'000, true);
  }
  SECTION("micro-batch: a part per batch") {
    chk_test::temp_dir d;
    fs::create_directories(d.path());
    spate::context ctx{spate::micro_batch{30ms}, spate::max_rate{2000}};
    ctx.add(spate::generate([](std::uint64_t i) { return i; }, 400) | spate::rolling_text_files(d.path().string()));
    ctx.start();
    ctx.await_termination();
    const auto o = read_output(d.path());
    CHECK(o.hidden.empty());
    CHECK(o.visible.size() >= 2);
    check_shards(o.values, 1, 400, true);
  }
  SECTION("spate::run, the same part names as a second run") {
    chk_test::temp_dir d;
    fs::create_directories(d.path());
    spate::run(spate::generate([](std::uint64_t i) { return i; }, 1'000)
               | spate::rolling_text_files(d.path().string(), {.max_bytes = 500}));
    const auto first = read_output(d.path());
    spate::run(spate::generate([](std::uint64_t i) { return i; }, 1'000)
               | spate::rolling_text_files(d.path().string(), {.max_bytes = 500}));
    const auto second = read_output(d.path());  // overwritten in place, from part 0 again
    CHECK(second.visible == first.visible);
    CHECK(second.values == first.values);
    check_shards(second.values, 1, 1'000, true);
  }
}
