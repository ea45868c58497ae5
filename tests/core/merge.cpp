// merge / union_: several streams of one type become one.
#include <spate/spate.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {
// A test source: pushes its values, one per poll slot. A ticking source
// announces a watermark after each value and ends after the last; a stalling
// one announces none and, after its values, has nothing more (idle) until it
// is cancelled.
struct test_source : spate::source_tag {
  std::vector<std::int64_t> values;
  bool ticking = true;
  [[maybe_unused]] static constexpr const char* name = "test_source";
  using value_type = std::int64_t;
  template <class Down>
  struct driver : spate::driver_base<driver<Down>, Down> {
    const test_source* src;
    std::size_t i = 0;
    spate::poll_result poll(std::size_t max) {
      if (this->done) return {0, spate::poll_status::ended};
      const auto& v = src->values;
      std::size_t n = 0;
      for (; n < max && i < v.size(); ++n, ++i) {
        if (!this->down->push(v[i])) return this->finish(n + 1, true);
        if (src->ticking) this->down->on_watermark(spate::from_millis(v[i]));
      }
      if (i == v.size() && src->ticking) return this->finish(n, false);
      return {n, n ? spate::poll_status::more : spate::poll_status::idle};
    }
  };
  template <class Env, class Down>
  auto open(Env&, spate::shard, Down& down) const {
    return driver<Down>{{&down}, this};
  }
};
test_source ticking(std::vector<std::int64_t> v) { return {{}, std::move(v), true}; }
test_source stalling(std::vector<std::int64_t> v) { return {{}, std::move(v), false}; }

// A sink that records records and control calls in order.
struct trace_sink : spate::sink_tag {
  std::vector<std::string>* log;
  static constexpr const char* name = "trace";
  template <class Flow>
  static constexpr bool check() { return true; }
  struct built {
    std::vector<std::string>* log;
    template <class R>
    bool push(const R& r) {
      log->push_back("r" + spate::to_text(r));
      return true;
    }
    void on_watermark(spate::event_time t) { log->push_back("w" + std::to_string(spate::to_millis(t))); }
    void on_barrier(spate::checkpoint_id id) { log->push_back("b" + std::to_string(id)); }
    void on_batch_end(const spate::batch_info& b) { log->push_back("batch" + std::to_string(b.number)); }
    void on_tick(spate::event_time) { log->push_back("tick"); }
    void on_idle(bool) {}
    void on_end() { log->push_back("end"); }
  };
  template <class Flow, class Env>
  built build(Env&, spate::stage_label) const { return {log}; }
};
}  // namespace

TEST_CASE("merge yields every record of every input, fused and unfused alike", "[merge]") {
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::vector<int> a(rng() % 50), b(rng() % 50), c(rng() % 50);
    for (auto* v : {&a, &b, &c})
      for (int& x : *v) x = static_cast<int>(rng() % 1000);
    std::vector<int> fused, unfused;
    auto job = [&](std::vector<int>& out) {
      return spate::merge(spate::from_collection(a), spate::from_collection(b) | spate::map([](int x) { return x + 1; }),
                          spate::from_collection(c) | spate::filter([](int x) { return x % 2 == 0; })) |
             spate::collect_into(out);
    };
    spate::run(job(fused));
    spate::run_unfused(job(unfused));
    std::vector<int> want = a;
    for (int x : b) want.push_back(x + 1);
    for (int x : c)
      if (x % 2 == 0) want.push_back(x);
    std::sort(want.begin(), want.end());
    std::sort(fused.begin(), fused.end());
    std::sort(unfused.begin(), unfused.end());
    REQUIRE(fused == want);
    REQUIRE(unfused == want);
  }
}

TEST_CASE("a keyed count over a union counts the records of all inputs", "[merge]") {
  std::vector<std::string> left{"a b", "c"}, right{"a a"};
  std::map<std::string, std::int64_t> counts;
  spate::run_batch(spate::union_(spate::from_collection(left), spate::from_collection(right)) |
                   spate::flat_map([](const std::string& l) { return spate::words(l); }) |
                   spate::key_by([](std::string_view w) { return w; }) | spate::count() | spate::collect_into(counts));
  REQUIRE(counts == std::map<std::string, std::int64_t>{{"a", 3}, {"b", 1}, {"c", 1}});
}

TEST_CASE("the watermark after a merge is the minimum over its inputs and never goes back", "[merge][watermark]") {
  std::vector<std::string> log;
  auto job = spate::merge(ticking({10, 20, 30}), ticking({5, 6})) | trace_sink{{}, &log};
  spate::rolling_env env;
  auto head = spate::fuse::build(env, job);
  auto driver = job.source.open(env, spate::shard{}, head);
  while (!driver.poll(2).finished()) {  // one record per input per turn: interleaved
  }
  std::vector<std::int64_t> marks;
  for (auto& e : log)
    if (e[0] == 'w') marks.push_back(std::stoll(e.substr(1)));
  // 10 and 5 arrive: min 5; then 6: min 6; input 2 ends with it, so input 1
  // alone holds the watermark: 10, 20, 30; all ended: the final watermark.
  const std::int64_t end = spate::to_millis(spate::max_watermark);
  REQUIRE(marks == std::vector<std::int64_t>{5, 6, 10, 20, 30, end});
  auto pos_of = [&](const std::string& s) { return std::find(log.begin(), log.end(), s) - log.begin(); };
  REQUIRE(pos_of("w5") > pos_of("r5"));
  REQUIRE(pos_of("w20") > pos_of("r6"));
  REQUIRE(std::count(log.begin(), log.end(), "end") == 1);
  REQUIRE(log.back() == "end");
  REQUIRE(std::count_if(log.begin(), log.end(), [](auto& e) { return e[0] == 'r'; }) == 5);
}

TEST_CASE("batch ends and barriers are aligned at the merge: forwarded once, when every input passed them", "[merge]") {
  std::vector<std::string> log;
  auto job = spate::merge(ticking({1}), ticking({2}), ticking({3})) |
             trace_sink{{}, &log};
  spate::rolling_env env;
  auto head = spate::fuse::build(env, job);
  auto driver = job.source.open(env, spate::shard{}, head);
  driver.on_barrier(7);
  driver.on_batch_end(spate::batch_info{spate::from_millis(1000), 4});
  driver.on_tick(spate::from_millis(1));
  REQUIRE(std::count(log.begin(), log.end(), "b7") == 1);
  REQUIRE(std::count(log.begin(), log.end(), "batch4") == 1);
  REQUIRE(std::count(log.begin(), log.end(), "tick") == 1);
  driver.drain();
  REQUIRE(log.back() == "end");
}

TEST_CASE("a stop from downstream stops every input of a merge", "[merge]") {
  std::vector<int> out;
  auto job = spate::merge(spate::generate([](std::uint64_t i) { return static_cast<int>(i); }, spate::unbounded),
                          spate::generate([](std::uint64_t i) { return -static_cast<int>(i); }, spate::unbounded)) |
             spate::take(1000) | spate::collect_into(out);
  spate::run(job);
  REQUIRE(out.size() == 1000);
}


TEST_CASE("an idle input does not hold back the watermark of a merge", "[merge][watermark][idle]") {
  using namespace std::chrono_literals;
  auto ts = [](std::int64_t x) { return spate::from_millis(x); };
  auto job = [&](std::vector<std::string>& log) {
    return spate::merge(stalling({100, 200, 300}) |
                            spate::with_watermarks(ts, spate::monotonous()).with_idleness(50ms) |
                            spate::map([](std::int64_t x) { return x; }),  // idleness passes stateless stages
                        stalling({10}) |
                            spate::with_watermarks(ts, spate::monotonous()).with_idleness(50ms)) |
           trace_sink{{}, &log};
  };
  auto marks_of = [](const std::vector<std::string>& log) {
    std::vector<std::int64_t> marks;
    for (auto& e : log)
      if (e[0] == 'w') marks.push_back(std::stoll(e.substr(1)));
    return marks;
  };
  auto drive = [&](auto& env, auto& head, auto& j) {
    auto driver = j.source.open(env, spate::shard{}, head);
    driver.poll(2);                          // 100 from input 1, 10 from input 2
    driver.on_tick(spate::from_millis(1));   // both quiet since time 0...
    driver.on_tick(spate::from_millis(80));  // ...for 80 ms > 50 ms: both idle
    driver.poll(2);                          // 200: input 1 active again, input 2 still idle
    driver.poll(2);                          // 300
    driver.cancel();
  };
  std::vector<std::string> fused_log, unfused_log;
  {
    auto j = job(fused_log);
    spate::rolling_env env;
    auto head = spate::fuse::build(env, j);
    drive(env, head, j);
  }
  {
    auto j = job(unfused_log);
    spate::rolling_env env;
    auto chain = spate::fuse::build_unfused(env, j);
    spate::fuse::node_ref<spate::flow<std::int64_t>> head{chain.get()};
    drive(env, head, j);
  }
  // Without idleness the watermark would stay at 9 (input 2's) until input 2
  // ended; with it, input 1 alone moves it on: 199, then 299.
  for (auto* log : {&fused_log, &unfused_log}) {
    auto marks = marks_of(*log);
    INFO(spate::to_text(marks));
    REQUIRE(marks.size() >= 3);
    REQUIRE(marks[0] == 9);
    REQUIRE(std::find(marks.begin(), marks.end(), 199) != marks.end());
    REQUIRE(std::find(marks.begin(), marks.end(), 299) != marks.end());
    REQUIRE(std::is_sorted(marks.begin(), marks.end()));
  }
}

TEST_CASE("merge reads bounded inputs in turns: two collections interleave", "[merge][turns]") {
  // A bounded input used to be drained (up to 32768 records) before the next
  // input was read; now each input gets a turn of at most merge_turn_records.
  std::vector<int> ones(1000, 1), twos(1000, 2);
  auto longest_run = [](const std::vector<int>& v) {
    std::size_t longest = 0, run = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      run = i > 0 && v[i] == v[i - 1] ? run + 1 : 1;
      longest = std::max(longest, run);
    }
    return longest;
  };
  for (bool batch : {false, true}) {
    CAPTURE(batch);
    std::vector<int> out, unfused;
    auto job = [&](std::vector<int>& into) {
      return spate::merge(spate::from_collection(ones), spate::from_collection(twos)) | spate::collect_into(into);
    };
    if (batch) {
      spate::run_batch(job(out));
      spate::run_batch_unfused(job(unfused));
    } else {
      spate::run(job(out));
      spate::run_unfused(job(unfused));
    }
    for (auto* v : {&out, &unfused}) {
      REQUIRE(v->size() == 2000);
      CHECK(std::count(v->begin(), v->end(), 2) == 1000);
      CHECK(longest_run(*v) == spate::merge_turn_records);
      // Both inputs are read within the first two turns.
      CHECK(std::find(v->begin(), v->begin() + 2 * spate::merge_turn_records, 2) != v->begin() + 2 * spate::merge_turn_records);
    }
  }

  // turn(1): one record of each in turn while both have records, then the rest.
  std::vector<int> few(3, 7), alternating;
  spate::run(spate::merge(spate::from_collection(few), spate::from_collection(twos)).turn(1) |
             spate::take(10) | spate::collect_into(alternating));
  CHECK(alternating == std::vector<int>{7, 2, 7, 2, 7, 2, 2, 2, 2, 2});
}

TEST_CASE("interleaved bounded inputs keep the watermark the minimum: no record is late", "[merge][turns][watermark]") {
  // Each input assigns its own (monotonous) watermarks before the merge; the
  // merged watermark is the minimum, so 100 ms windows downstream count every
  // record of both inputs, none late, whatever the interleaving.
  std::vector<std::int64_t> a(1000), b(1000);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = b[i] = static_cast<std::int64_t>(i);
  auto ts = [](std::int64_t x) { return spate::from_millis(x); };
  std::uint64_t late = 0;
  std::vector<std::int64_t> counts;
  using namespace std::chrono_literals;
  spate::run(spate::merge(spate::from_collection(a) | spate::with_watermarks(ts, spate::monotonous()),
                          spate::from_collection(b) | spate::with_watermarks(ts, spate::monotonous()))
                 .turn(7) |
             spate::key_by([](std::int64_t) { return 0; }) |
             spate::window(spate::tumbling(100ms), ts).count_late_into(late) | spate::count() |
             spate::map([](const auto& w) { return w.value; }) | spate::collect_into(counts));
  CHECK(late == 0);
  CHECK(counts == std::vector<std::int64_t>(10, 200));
}
