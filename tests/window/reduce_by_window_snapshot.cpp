// Checkpoints of Spark's incremental windows (window/reduce_by_window.hpp):
// reduce_by_key_and_window (with and without keep), count_by_window and
// count_by_value_and_window snapshot every key's panes and value, restore
// where they stood (restore law), move to another parallelism by key group
// (rescale law), and resume a stopped micro-batch job exactly; state with no
// binary encoding makes checkpointing refuse the job rather than lose it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <ostream>
#include <random>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <unistd.h>

#include <catch2/catch.hpp>
#include <spate/spate.hpp>
#include <spate/window.hpp>

#include "laws.hpp"
#include "checkpoint_wait.hpp"

using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {
// A key and an amount; reflected, so that window state holding it has a
// binary encoding.
struct kv {
  int key = 0;
  long v = 0;
  friend bool operator==(const kv&, const kv&) = default;
  friend std::ostream& operator<<(std::ostream& os, const kv& r) { return os << r.key << ':' << r.v; }
};
struct skv {
  std::string key;
  long v = 0;
  friend bool operator==(const skv&, const skv&) = default;
  friend std::ostream& operator<<(std::ostream& os, const skv& r) { return os << r.key << ':' << r.v; }
};
}  // namespace
BOOST_HANA_ADAPT_STRUCT(kv, key, v);
BOOST_HANA_ADAPT_STRUCT(skv, key, v);
namespace {
using ev = spate_laws::event<kv>;
using sums = std::vector<spate::window_result<int, kv>>;

const auto add = [](kv a, const kv& b) { a.v += b.v; return a; };
const auto sub = [](kv a, const kv& b) { a.v -= b.v; return a; };

// A few keys, values that often add up to zero (keys kept at zero, and
// dropped by keep), batch ends between runs of records.
std::vector<ev> random_events(std::mt19937& rng) {
  std::uniform_int_distribution<int> n(0, 200), key(0, 4), value(-3, 3), pick(0, 99);
  std::vector<ev> out;
  const int len = n(rng);
  for (int i = 0; i < len; ++i) {
    if (pick(rng) < 70)
      out.emplace_back(kv{key(rng), value(rng)});
    else
      out.emplace_back(spate_laws::batch_end{});
  }
  return out;
}

// Keys due at one window end come in table order, which a restored table
// need not share: each key's results, in their order.
struct per_key {
  template <class R>
  std::vector<R> operator()(std::vector<R> rs) const {
    std::stable_sort(rs.begin(), rs.end(), [](const R& a, const R& b) { return a.key < b.key; });
    return rs;
  }
};

template <class Out, class Make, class Normalize = per_key>
void check_restore(const Make& make, const Normalize& normalize = {}) {
  std::mt19937 rng(20261202);
  for (int round = 0; round < 40; ++round) {
    auto events = random_events(rng);
    const std::size_t cut = std::uniform_int_distribution<std::size_t>(0, events.size())(rng);
    spate_laws::restore_equals_uninterrupted<Out, spate::compacted_env>(make, events, cut, normalize);
  }
}

template <class Out, class Make>
void check_rescale(const Make& make) {
  std::mt19937 rng(20261203);
  auto key = [](const kv& r) { return r.key; };
  for (int round = 0; round < 15; ++round) {
    auto events = random_events(rng);
    const std::size_t cut = std::uniform_int_distribution<std::size_t>(0, events.size())(rng);
    for (auto [from, to] : {std::pair<std::size_t, std::size_t>{2, 1}, {1, 2}, {3, 2}})
      spate_laws::rescale_equals_uninterrupted<Out, spate::compacted_env>(make, events, cut, key, from, to, per_key{});
  }
}

auto reduced(spate::duration size, spate::duration slide) {
  return [=](auto& out) {
    return spate::from_elements(kv{}) | spate::key_by(&kv::key) | spate::reduce_by_key_and_window(add, sub, size, slide) |
           spate::collect_into(out);
  };
}
auto reduced_kept(spate::duration size, spate::duration slide) {
  return [=](auto& out) {
    return spate::from_elements(kv{}) | spate::key_by(&kv::key) |
           spate::reduce_by_key_and_window(add, sub, size, slide, [](int, const kv& v) { return v.v != 0; }) |
           spate::collect_into(out);
  };
}

// A record type with no binary encoding.
struct opaque {
  int k = 0;
  long v = 0;
  const void* unused = nullptr;
};
}  // namespace

TEST_CASE("restore law: reduce_by_key_and_window, with and without keep", "[window][spark][snapshot]") {
  for (auto [size, slide] : {std::pair{3s, 1s}, {4s, 2s}, {2s, 2s}}) {
    CAPTURE(size.count(), slide.count());
    check_restore<sums>(reduced(size, slide));
    check_restore<sums>(reduced_kept(size, slide));
  }
  // Owned string keys and pair values of strings.
  check_restore<std::vector<spate::window_result<std::string, skv>>>([](auto& out) {
    return spate::from_elements(kv{}) |
           spate::map([](const kv& r) { return skv{"key " + std::to_string(r.key), r.v}; }) |
           spate::key_by(&skv::key) |
           spate::reduce_by_key_and_window([](skv a, const skv& b) { a.v += b.v; return a; },
                                           [](skv a, const skv& b) { a.v -= b.v; return a; }, 3s, 1s,
                                           [](const std::string&, const skv& v) { return v.v > -2; }) |
           spate::collect_into(out);
  });
}

TEST_CASE("restore law: count_by_window and count_by_value_and_window", "[window][spark][snapshot]") {
  for (auto sizes : {std::pair{3s, 1s}, {4s, 2s}}) {
    const spate::duration size = sizes.first, slide = sizes.second;
    CAPTURE(size.count(), slide.count());
    check_restore<std::vector<spate::window_result<spate::no_key, std::int64_t>>>(
        [=](auto& out) { return spate::from_elements(kv{}) | spate::count_by_window(size, slide) | spate::collect_into(out); },
        spate_laws::as_is{});
    check_restore<std::vector<spate::window_result<int, std::int64_t>>>([=](auto& out) {
      return spate::from_elements(kv{}) | spate::map([](const kv& r) { return r.key; }) |
             spate::count_by_value_and_window(size, slide) | spate::collect_into(out);
    });
  }
}

TEST_CASE("rescale law: reduce_by_key_and_window moves from P to P'", "[window][spark][snapshot][rescale]") {
  check_rescale<sums>(reduced(3s, 1s));
  check_rescale<sums>(reduced_kept(4s, 2s));
}

TEST_CASE("reduce_by_key_and_window refuses a snapshot that does not decode or that it cannot have made, and keeps its state",
          "[window][spark][snapshot]") {
  sums out;
  spate::compacted_env env;
  auto c = spate::fuse::build(env, reduced(2s, 1s)(out));
  auto& stage = c.down;
  c.push(kv{1, 5});
  c.on_batch_end(spate::batch_info{spate::from_millis(1000), 0});
  c.push(kv{1, 2});
  std::string snap;
  stage.snapshot(snap);
  CHECK_FALSE(stage.restore("garbage"));
  CHECK_FALSE(stage.restore(snap.substr(0, snap.size() / 2)));
  using S = std::remove_cvref_t<decltype(stage)>;
  using panes = typename S::pane_list;
  const auto bad = [](std::vector<typename S::entry> es) {
    std::string s;
    spate::detail::snapshot_value(es, s);
    return s;
  };
  CHECK_FALSE(stage.restore(bad({{1, std::nullopt, std::nullopt, panes{}}})));             // a key no record made
  CHECK_FALSE(stage.restore(bad({{1, std::nullopt, std::nullopt, panes{{1000, {1, 5}}}}})));  // panes without a value
  CHECK_FALSE(stage.restore(bad({{1, kv{1, 1}, std::nullopt, {}}, {1, kv{1, 1}, std::nullopt, {}}})));  // one key twice
  // The state survived: the pending pane joins the window at the next end.
  c.on_batch_end(spate::batch_info{spate::from_millis(2000), 1});
  REQUIRE(out.size() == 2);
  CHECK(out[1].value == kv{1, 7});
  // A chain built anew from the snapshot continues the same way.
  sums again;
  auto d = spate::fuse::build(env, reduced(2s, 1s)(again));
  REQUIRE(d.down.restore(snap));
  d.on_batch_end(spate::batch_info{spate::from_millis(2000), 1});
  d.on_batch_end(spate::batch_info{spate::from_millis(3000), 2});
  REQUIRE(again.size() == 2);
  CHECK(again[0].value == kv{1, 7});
  CHECK(again[1].value == kv{1, 2});  // the first pane slid out
}

TEST_CASE("reduce_by_key_and_window over values with no binary encoding: checkpointing refuses the job",
          "[window][spark][snapshot][checkpoint]") {
  static_assert(!spate::serde::Encodable<opaque>);
  auto job = [](std::vector<spate::window_result<int, opaque>>& out) {
    return spate::from_elements(opaque{1, 2}, opaque{2, 3}) | spate::key_by(&opaque::k) |
           spate::reduce_by_key_and_window([](opaque a, const opaque& b) { a.v += b.v; return a; },
                                           [](opaque a, const opaque& b) { a.v -= b.v; return a; }, 2s, 1s) |
           spate::collect_into(out);
  };
  std::vector<spate::window_result<int, opaque>> out;
  spate::compacted_env env;
  auto c = spate::fuse::build(env, job(out));
  CHECK(spate::stateful_stages(c) == 0);
  CHECK(spate::unsnapshottable_stages(c) == 1);
  const auto folder = std::filesystem::temp_directory_path() / ("spate_rbw_opaque_" + std::to_string(::getpid()));
  {
    spate::context ctx{spate::micro_batch{50ms}, spate::checkpointing{.interval = 20ms, .folder = folder}};
    ctx.add(job(out));
    ctx.start();
    CHECK_THROWS_WITH(ctx.await_termination(), Contains("no binary encoding") && Contains("cannot be checkpointed"));
  }
  std::error_code ec;
  std::filesystem::remove_all(folder, ec);
}

namespace {
constexpr int keys = 7;
using windows = std::vector<spate::window_result<int, kv>>;

// Sums per key over a window longer than both runs: the last window of each
// key holds every record of the key, whatever batches they fell in.
auto windowed_sums(std::uint64_t n, windows& out) {
  return spate::generate([](std::uint64_t i) { return i; }, n) |
         spate::map([](std::uint64_t i) { return kv{static_cast<int>(i % keys), static_cast<long>(i)}; }) |
         spate::key_by(&kv::key) | spate::reduce_by_key_and_window(add, sub, 3600s, 50ms) |
         spate::collect_into(out);
}

std::map<int, std::int64_t> last_per_key(const windows& out) {
  std::map<int, std::int64_t> last;
  for (const auto& w : out) last[w.key] = w.value.v;
  return last;
}

class temp_folder {
 public:
  temp_folder() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("spate_rbw_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
  }
  temp_folder(const temp_folder&) = delete;
  temp_folder& operator=(const temp_folder&) = delete;
  ~temp_folder() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};
}  // namespace

TEST_CASE("a micro-batch reduce_by_key_and_window job stopped with a checkpoint resumes with its windows",
          "[window][spark][snapshot][checkpoint][job]") {
  const std::uint64_t n = 20'000;
  for (std::size_t p : {1u, 2u}) {
    CAPTURE(p);
    temp_folder d;
    const spate::checkpointing c{.interval = 20ms, .folder = d.path()};
    windows first, second, whole;
    {
      spate::context ctx{spate::micro_batch{50ms}, spate::parallelism{p}, spate::max_rate{4000}, c};
      ctx.add(windowed_sums(n, first));
      ctx.start();
      REQUIRE(spate_test::await_checkpoints(ctx, 2));
      ctx.stop(spate::stop_mode::graceful);  // with a final checkpoint
      ctx.await_termination();
    }
    {
      spate::context ctx{spate::micro_batch{50ms}, spate::parallelism{p}, c};
      ctx.add(windowed_sums(n, second));
      ctx.start();
      ctx.await_termination();
    }
    {
      spate::context ctx{spate::micro_batch{50ms}, spate::parallelism{p}};
      ctx.add(windowed_sums(n, whole));
      ctx.start();
      ctx.await_termination();
    }
    REQUIRE_FALSE(first.empty());
    REQUIRE_FALSE(second.empty());
    CHECK(last_per_key(first) != last_per_key(whole));  // the first run stopped before the end
    // Sums of non-negative values over a window that loses nothing: they
    // never fall, across the restart either...
    std::map<int, std::int64_t> seen = last_per_key(first);
    CHECK(seen.size() == static_cast<std::size_t>(keys));
    for (const auto& w : second) {
      CHECK(w.value.v >= seen[w.key]);
      seen[w.key] = w.value.v;
    }
    // ...and the restarted run ends where an uninterrupted run ends: every
    // record once, those before the stop in the restored windows (a window
    // restarted empty would miss them).
    std::map<int, std::int64_t> expected;
    for (std::uint64_t i = 0; i < n; ++i) expected[static_cast<int>(i % keys)] += static_cast<std::int64_t>(i);
    CHECK(last_per_key(whole) == expected);
    CHECK(last_per_key(second) == last_per_key(whole));
  }
}
