// Rich functions: open(ctx) / close() on each parallel instance's own copy,
// the runtime context, counters summed by the context, errors in open and
// close as stage errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <spate/spate.hpp>

using Catch::Matchers::Contains;

namespace {

// What every instance of a function saw, shared by the copies.
struct journal {
  std::mutex m;
  std::vector<std::string> events;
  std::set<std::size_t> indices;
  std::size_t parallelism = 0;
  void add(std::string e) {
    std::lock_guard lock(m);
    events.push_back(std::move(e));
  }
};

// [doc:rich]
// Tags each record with the instance that saw it; opens "a connection" once
// per parallel instance, counts what it saw.
struct tag_with_instance {
  std::shared_ptr<journal> log;
  std::size_t instance = 0;
  spate::user_counter* seen = nullptr;
  bool open_ = false;

  void open(const spate::runtime_context& ctx) {
    instance = ctx.index();
    seen = &ctx.counter("seen");
    open_ = true;
    std::lock_guard lock(log->m);
    log->indices.insert(ctx.index());
    log->parallelism = ctx.parallelism();
    log->events.push_back("open " + std::string(ctx.stage_name()) + " #" + std::to_string(ctx.position()) + " " +
                          ctx.uid());
  }
  std::pair<std::uint64_t, std::size_t> operator()(std::uint64_t x) {
    if (!open_) throw std::logic_error("called before open");
    seen->add();
    return {x, instance};
  }
  void close() { log->add("close " + std::to_string(instance)); }
};
// [end]

}  // namespace

TEST_CASE("rich functions: open before the first record, close after the last, in run()", "[rich]") {
  auto log = std::make_shared<journal>();
  std::vector<std::pair<std::uint64_t, std::size_t>> out;
  spate::run(spate::from_collection(std::vector<std::uint64_t>{1, 2, 3}) | spate::map(tag_with_instance{log})
             | spate::collect_into(out));
  CHECK(out.size() == 3);
  CHECK(log->events == std::vector<std::string>{"open map #1 j0.1:map", "close 0"});
  CHECK(log->parallelism == 1);
}

TEST_CASE("rich functions: each parallel instance opens its own copy, counters are summed", "[rich]") {
  const std::uint64_t n = 30'000;
  for (std::size_t p : {1u, 3u}) {
    CAPTURE(p);
    auto log = std::make_shared<journal>();
    std::vector<std::pair<std::uint64_t, std::size_t>> out;
    spate::context ctx{spate::continuous{}, spate::parallelism{p}};
    ctx.add(spate::generate([](std::uint64_t i) { return i; }, n) | spate::key_by([](std::uint64_t i) { return i % 97; })
            | spate::map(tag_with_instance{log}) | spate::uid("tagged") | spate::collect_into(out));
    ctx.start();
    ctx.await_termination();
    REQUIRE(out.size() == n);
    CHECK(log->parallelism == p);
    std::set<std::size_t> expected;
    for (std::size_t i = 0; i < p; ++i) expected.insert(i);
    CHECK(log->indices == expected);  // every instance opened once, with its own index
    CHECK(std::count_if(log->events.begin(), log->events.end(), [](const auto& e) { return e.starts_with("open map #2 tagged"); }) ==
          static_cast<long>(p));
    CHECK(std::count_if(log->events.begin(), log->events.end(), [](const auto& e) { return e.starts_with("close"); }) ==
          static_cast<long>(p));
    // Each record went through the instance its key belongs to: one instance per key.
    std::map<std::uint64_t, std::set<std::size_t>> instances_of_key;
    for (const auto& [x, i] : out) instances_of_key[x % 97].insert(i);
    for (const auto& [k, is] : instances_of_key) CHECK(is.size() == 1);
    CHECK(ctx.counters() == std::map<std::string, std::uint64_t>{{"tagged/seen", n}});
  }
}

namespace {
struct opens_badly {
  void open() { throw std::runtime_error("no connection"); }
  std::uint64_t operator()(std::uint64_t x) const { return x; }
};
struct closes_badly {
  std::shared_ptr<journal> log;
  void open() { log->add("open"); }
  bool operator()(std::uint64_t) const { return true; }
  void close() {
    log->add("close");
    throw std::runtime_error("flush failed");
  }
};
struct plain_sink_fn {
  std::shared_ptr<journal> log;
  std::uint64_t sum = 0;
  void open(const spate::runtime_context& ctx) { log->add("sink open " + std::string(ctx.stage_name())); }
  void operator()(std::uint64_t x) { sum += x; }
  void close() { log->add("sink close " + std::to_string(sum)); }
};
}  // namespace

TEST_CASE("rich functions: errors in open and close are stage errors, a failed open closes what was opened",
          "[rich]") {
  auto log = std::make_shared<journal>();
  std::vector<std::uint64_t> out;
  auto numbers = [] { return spate::from_collection(std::vector<std::uint64_t>{1, 2, 3}); };
  CHECK_THROWS_WITH(spate::run(numbers() | spate::filter(closes_badly{log}) | spate::map(opens_badly{}) | spate::collect_into(out)),
                    Contains("stage 'map' (#2 in its pipeline) failed: open: no connection"));
  CHECK(out.empty());
  CHECK(log->events == std::vector<std::string>{"open", "close"});  // the filter was opened, then closed
  log->events.clear();
  CHECK_THROWS_WITH(spate::run(numbers() | spate::filter(closes_badly{log}) | spate::collect_into(out)),
                    Contains("stage 'filter' (#1 in its pipeline) failed: close: flush failed"));
  CHECK(out.size() == 3);  // close comes after the last record
  {
    spate::context ctx{spate::continuous{}, spate::parallelism{2}};
    ctx.add(numbers() | spate::map(opens_badly{}) | spate::collect_into(out));
    ctx.start();
    CHECK_THROWS_WITH(ctx.await_termination(), Contains("stage 'map' (#1 in its pipeline) failed: open: no connection"));
  }
  // A sink's function: opened and closed on the sink's thread.
  log->events.clear();
  spate::context ctx{spate::continuous{}, spate::parallelism{2}};
  ctx.add(numbers() | spate::for_each(plain_sink_fn{log}));
  ctx.start();
  ctx.await_termination();
  CHECK(log->events == std::vector<std::string>{"sink open for_each", "sink close 6"});
}

namespace {
// A window function with open/close: a reduce that must be opened first.
struct opened_sum {
  std::shared_ptr<journal> log;
  bool open_ = false;
  void open(const spate::runtime_context& ctx) {
    open_ = true;
    log->add("open " + std::string(ctx.stage_name()) + " " + std::to_string(ctx.index()));
  }
  template <class T>
  T operator()(T a, const T& b) const {
    if (!open_) throw std::logic_error("called before open");
    a.value += b.value;
    return a;
  }
  void close() { log->add("close"); }
};
struct timed {
  int key = 0;
  std::int64_t value = 0;
  std::int64_t ms = 0;
};
}  // namespace

TEST_CASE("rich functions: a window's function is opened and closed on each instance", "[rich][window]") {
  std::vector<timed> in;
  for (int i = 0; i < 2000; ++i) in.push_back({i % 7, i, i * 2});
  auto ts = [](const timed& t) { return spate::event_time{std::chrono::milliseconds(t.ms)}; };
  for (std::size_t p : {1u, 2u}) {
    CAPTURE(p);
    auto log = std::make_shared<journal>();
    std::vector<spate::window_result<int, timed>> out;
    spate::context ctx{spate::continuous{}, spate::parallelism{p}};
    ctx.add(spate::from_collection(in) | spate::with_watermarks(ts, spate::bounded_out_of_orderness(std::chrono::milliseconds(0))) |
            spate::key_by(&timed::key) | spate::window(spate::tumbling(std::chrono::milliseconds(100))) |
            spate::reduce(opened_sum{log}) |
            spate::collect_into(out));
    ctx.start();
    ctx.await_termination();
    std::int64_t total = 0;
    for (const auto& w : out) total += w.value.value;
    CHECK(total == 1999 * 2000 / 2);
    CHECK(std::count_if(log->events.begin(), log->events.end(), [](const auto& e) { return e.starts_with("open"); }) ==
          static_cast<long>(p));
    CHECK(std::count(log->events.begin(), log->events.end(), "close") == static_cast<long>(p));
  }
}
