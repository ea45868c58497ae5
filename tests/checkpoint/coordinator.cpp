#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <spate/checkpoint/coordinator.hpp>
#include <spate/checkpoint/local_storage.hpp>

#include "support.hpp"

namespace chk = spate::checkpoint;
using Catch::Matchers::Contains;
using namespace std::chrono_literals;
using tp = chk::coordinator::time_point;

namespace {
const tp t0{};

chk::acknowledgement ack_of(const std::string& uid, std::size_t subtask, std::string bytes) {
  chk::acknowledgement a;
  a.files.push_back({uid, subtask, {subtask * 64, subtask * 64 + 64}, std::move(bytes)});
  return a;
}

struct events {
  std::vector<spate::checkpoint_id> completed;
  std::vector<std::pair<spate::checkpoint_id, std::string>> aborted;
  std::vector<std::string> job_failures;
  chk::checkpoint_listener listener() {
    return {[this](spate::checkpoint_id n) { completed.push_back(n); },
            [this](spate::checkpoint_id n, const std::string& r) { aborted.emplace_back(n, r); },
            [this](const std::string& r) { job_failures.push_back(r); }};
  }
};

chk::checkpoint_options every(std::chrono::milliseconds interval) {
  chk::checkpoint_options o;
  o.interval = interval;
  return o;
}

// Acknowledges n by both participants of the tests.
void ack_all(chk::coordinator& c, spate::checkpoint_id n, tp now) {
  REQUIRE(c.acknowledge(n, "w0", ack_of("counts", 0, "s0@" + std::to_string(n)), now) == chk::ack_status::accepted);
  REQUIRE(c.acknowledge(n, "w1", ack_of("counts", 1, "s1@" + std::to_string(n)), now) == chk::ack_status::ready);
}
}  // namespace

TEST_CASE("coordinator: options are checked, with messages naming the option") {
  chk::checkpoint_options o;
  CHECK_THROWS_WITH(o.validate(), Contains("checkpoint interval must be positive"));
  o.interval = 1s;
  o.validate();
  o.timeout = 0ms;
  CHECK_THROWS_WITH(o.validate(), Contains("checkpoint timeout must be positive"));
  o.timeout = 1min;
  o.min_pause = -1ms;
  CHECK_THROWS_WITH(o.validate(), Contains("minimum pause"));
  o.min_pause = 0ms;
  o.retained = 0;
  CHECK_THROWS_WITH(o.validate(), Contains("retained"));
  CHECK_THROWS_WITH(chk::coordinator(every(1s), {}, {}, t0), Contains("at least one participant"));
  CHECK_THROWS_WITH(chk::coordinator(every(1s), {"a", "a"}, {}, t0), Contains("'a' is named twice"));

  chk::checkpoint_options d;  // Flink's defaults
  CHECK(d.mode == chk::checkpoint_mode::exactly_once);
  CHECK(d.timeout == 10min);
  CHECK(d.tolerable_failures == 0);
  CHECK(d.retained == 1);
  CHECK(chk::alignment_of(chk::checkpoint_mode::exactly_once) == spate::barrier_alignment::aligned);
  CHECK(chk::alignment_of(chk::checkpoint_mode::at_least_once) == spate::barrier_alignment::unaligned);
}

TEST_CASE("coordinator: a Kafka transaction timeout shorter than interval + checkpoint timeout is an error") {
  // [doc:transaction_timeout]
  chk::checkpoint_options o;
  o.interval = 30s;
  o.timeout = 2min;
  chk::check_transaction_timeout(15min, o);  // fine: 15 min > 30 s + 2 min
  CHECK_THROWS_WITH(chk::check_transaction_timeout(1min, o),
                    Contains("the Kafka transaction timeout (1 min) must be longer than the checkpoint interval "
                             "plus the checkpoint timeout (30 s + 2 min = 150 s)"));
  // [end]
  CHECK_THROWS_AS(chk::check_transaction_timeout(150s, 30s, 2min), std::invalid_argument);
  chk::check_transaction_timeout(150001ms, 30s, 2min);
}

TEST_CASE("coordinator: triggers every interval, one at a time, after the minimum pause") {
  auto o = every(10s);
  o.min_pause = 4s;
  chk::coordinator c(o, {"w0", "w1"}, {2, 128, {}}, t0);
  CHECK_FALSE(c.poll(t0 + 9999ms));
  CHECK(c.poll(t0 + 10s) == 1u);
  CHECK(c.pending() == 1u);
  CHECK_FALSE(c.poll(t0 + 25s));  // 1 still in flight: nothing concurrent

  ack_all(c, 1, t0 + 25s);
  c.take_content(1);
  REQUIRE(c.persisted(1, t0 + 26s));
  // Due at 20 s by the interval, but the pause runs from 26 s.
  CHECK(c.next_trigger() == t0 + 30s);
  CHECK_FALSE(c.poll(t0 + 29s));
  CHECK(c.poll(t0 + 30s) == 2u);
  ack_all(c, 2, t0 + 31s);
  c.take_content(2);
  REQUIRE(c.persisted(2, t0 + 31s));
  CHECK(c.next_trigger() == t0 + 40s);  // the interval from 30 s is later than 31 s + 4 s
  CHECK(c.poll(t0 + 40s) == 3u);
  CHECK(c.last_completed() == 2u);
  CHECK(c.completed() == 2u);
}

TEST_CASE("coordinator: acknowledgements, then the content, then durable, then listeners hear complete") {
  chk::coordinator c(every(1s), {"w0", "w1"}, {2, 128, {"counts"}}, t0);
  events l;
  c.add_listener(l.listener());
  REQUIRE(c.poll(t0 + 1s) == 1u);

  auto a0 = ack_of("counts", 0, "zero");
  a0.sources = {{"orders", "orders-0", 10}};
  auto a1 = ack_of("counts", 1, "one");
  a1.sources = {{"orders", "orders-1", 20}};
  CHECK(c.acknowledge(2, "w0", a0, t0 + 1s) == chk::ack_status::unknown_checkpoint);
  CHECK(c.acknowledge(1, "w9", a0, t0 + 1s) == chk::ack_status::unknown_participant);
  CHECK(c.acknowledge(1, "w1", a1, t0 + 1s) == chk::ack_status::accepted);  // any order
  CHECK(c.acknowledge(1, "w1", a1, t0 + 1s) == chk::ack_status::duplicate);
  CHECK_THROWS_AS(c.take_content(1), std::logic_error);  // not all in
  CHECK(c.acknowledge(1, "w0", a0, t0 + 1s) == chk::ack_status::ready);

  auto content = c.take_content(1);
  CHECK(content.id == 1);
  CHECK(content.parallelism == 2);
  CHECK(content.stage_uids == std::vector<std::string>{"counts"});
  REQUIRE(content.files.size() == 2);
  CHECK(content.files[0].bytes == "zero");  // participant order, not arrival order
  CHECK(content.sources == std::vector<chk::source_position>{{"orders", "orders-0", 10}, {"orders", "orders-1", 20}});
  CHECK(c.persisting());
  CHECK(l.completed.empty());  // not before it is durable
  CHECK(c.persisted(1, t0 + 2s));
  CHECK(l.completed == std::vector<spate::checkpoint_id>{1});
  CHECK_FALSE(c.pending());
  CHECK_FALSE(c.persisted(1, t0 + 2s));  // once
}

TEST_CASE("coordinator: a timeout aborts, naming who did not acknowledge, late acknowledgements are ignored") {
  auto o = every(1s);
  o.timeout = 5s;
  o.tolerable_failures = 3;
  chk::coordinator c(o, {"w0", "w1"}, {2, 128, {}}, t0);
  events l;
  c.add_listener(l.listener());
  REQUIRE(c.poll(t0 + 1s) == 1u);
  c.acknowledge(1, "w0", ack_of("counts", 0, "x"), t0 + 2s);
  CHECK_FALSE(c.poll(t0 + 5999ms));
  CHECK(c.poll(t0 + 6s) == 2u);  // 1 timed out at 6 s; 2 is due at once
  REQUIRE(l.aborted.size() == 1);
  CHECK(l.aborted[0].first == 1u);
  CHECK_THAT(l.aborted[0].second, Contains("checkpoint 1 timed out after 5 s") &&
                                      Contains("1 of 2 participants acknowledged; missing: 'w1'"));
  CHECK(c.acknowledge(1, "w1", ack_of("counts", 1, "late"), t0 + 6s) == chk::ack_status::unknown_checkpoint);
  CHECK(c.consecutive_failures() == 1);

  // A timeout while the storage writes: the write's success no longer counts.
  ack_all(c, 2, t0 + 7s);
  c.take_content(2);
  CHECK_FALSE(c.persisted(2, t0 + 11s));
  CHECK_THAT(l.aborted.at(1).second, Contains("the storage did not finish"));
  CHECK(l.completed.empty());
  CHECK(c.failed_checkpoints() == 2);
}

TEST_CASE("coordinator: failures are tolerated up to the limit in a row, a completed checkpoint resets the count") {
  auto o = every(1s);
  o.tolerable_failures = 2;
  chk::coordinator c(o, {"w0", "w1"}, {2, 128, {}}, t0);
  events l;
  c.add_listener(l.listener());
  auto t = t0;
  auto fail_one = [&](int how) {
    t += 1s;
    auto n = c.poll(t);
    REQUIRE(n);
    if (how == 0) c.decline(*n, "w1", "snapshot threw: out of memory", t);
    if (how == 1) {
      ack_all(c, *n, t);
      c.take_content(*n);
      c.persist_failed(*n, "disk full", t);
    }
  };
  fail_one(0);
  fail_one(1);
  CHECK_FALSE(c.job_failed());  // 2 in a row: tolerated
  t += 1s;
  auto n = c.poll(t);
  ack_all(c, *n, t);
  c.take_content(*n);
  REQUIRE(c.persisted(*n, t));
  CHECK(c.consecutive_failures() == 0);
  fail_one(0);
  fail_one(0);
  CHECK_FALSE(c.job_failed());
  fail_one(1);  // the third in a row
  CHECK(c.job_failed());
  REQUIRE(l.job_failures.size() == 1);
  CHECK_THAT(l.job_failures[0], Contains("3 checkpoints failed in a row (tolerable: 2)") &&
                                    Contains("could not be stored: disk full"));
  CHECK_THAT(l.aborted.at(0).second, Contains("declined by 'w1': snapshot threw: out of memory"));
  CHECK_FALSE(c.poll(t + 1h));  // a failed job triggers nothing more
}

TEST_CASE("coordinator: with no tolerance (the default) the first failure fails the job") {
  chk::coordinator c(every(1s), {"w0"}, {}, t0);
  events l;
  c.add_listener(l.listener());
  c.poll(t0 + 1s);
  c.decline(1, "w0", "broken", t0 + 1s);
  CHECK(c.job_failed());
  CHECK_THAT(c.failure(), Contains("1 checkpoint failed in a row (tolerable: 0)"));
}

TEST_CASE("coordinator: the committer decides between durable and complete") {
  chk::coordinator c(every(1s), {"w0", "w1"}, {2, 128, {}}, t0);
  c.add_listener({});  // empty callbacks are fine
  events l;
  c.add_listener(l.listener());
  std::vector<std::pair<spate::checkpoint_id, std::size_t>> commits;
  bool fail = false;
  c.set_committer([&](spate::checkpoint_id n, const std::vector<chk::source_position>& sources) {
    if (fail) throw std::runtime_error("transaction aborted by the broker");
    commits.emplace_back(n, sources.size());
  });
  c.poll(t0 + 1s);
  ack_all(c, 1, t0 + 1s);
  c.take_content(1);
  CHECK(c.persisted(1, t0 + 1s));
  CHECK(commits == std::vector<std::pair<spate::checkpoint_id, std::size_t>>{{1, 0}});
  fail = true;
  c.poll(t0 + 2s);
  ack_all(c, 2, t0 + 2s);
  c.take_content(2);
  CHECK_FALSE(c.persisted(2, t0 + 2s));
  CHECK(l.completed == std::vector<spate::checkpoint_id>{1});
  CHECK_THAT(l.aborted.at(0).second, Contains("checkpoint 2 is durable but its commit failed: transaction aborted"));
  CHECK(c.last_completed() == 1u);
}

TEST_CASE("coordinator: a job's checkpoints in a local folder, driven by a fake clock") {
  chk_test::temp_dir d;
  auto clock = t0;
  auto now = [&] { return clock; };
  // [doc:coordinator]
  chk::checkpoint_options o;
  o.interval = 10s;
  o.mode = chk::checkpoint_mode::exactly_once;  // the valves align barriers: o.alignment()
  o.timeout = 1min;
  o.tolerable_failures = 1;
  o.retained = 2;
  chk::local_storage disk(d.path());
  chk::checkpoint_store store(disk, o.retained);

  chk::coordinator coord(o, {"w0", "w1"}, chk::job_shape{2, 128, {"counts"}}, now(), store.next_id());
  coord.add_listener({.on_complete = [](spate::checkpoint_id n) { std::cout << "checkpoint " << n << " complete\n"; },
                      .on_abort = {},
                      .on_job_failure = [](const std::string& why) { throw std::runtime_error(why); }});

  // The executor's loop (here by hand):
  if (auto n = coord.poll(now())) {
    // inject barrier *n at every source; each participant, once barrier *n
    // reached it on all inputs, snapshots and acknowledges:
    coord.acknowledge(*n, "w0", {.files = {{"counts", 0, {0, 64}, "state of w0"}}, .sources = {}}, now());
    if (coord.acknowledge(*n, "w1", {.files = {{"counts", 1, {64, 128}, "state of w1"}}, .sources = {}}, now()) ==
        chk::ack_status::ready)
      chk::persist_checkpoint(coord, store, *n, now);  // write, complete, prune
  }
  // [end]
  CHECK(coord.last_completed() == 0u);  // not due yet at t0
  for (int i = 1; i <= 5; ++i) {
    clock += 10s;
    auto n = coord.poll(now());
    REQUIRE(n == static_cast<spate::checkpoint_id>(i));
    coord.acknowledge(*n, "w0", {.files = {{"counts", 0, {0, 64}, "w0@" + std::to_string(i)}}, .sources = {}}, now());
    REQUIRE(coord.acknowledge(*n, "w1", {.files = {{"counts", 1, {64, 128}, "w1@" + std::to_string(i)}}, .sources = {}},
                              now()) == chk::ack_status::ready);
    clock += 1s;
    REQUIRE(chk::persist_checkpoint(coord, store, *n, now));
  }
  CHECK(store.ids() == std::vector<spate::checkpoint_id>{4, 5});  // retained: 2
  auto r = store.latest();
  REQUIRE(r.checkpoint);
  CHECK(r.checkpoint->payloads == std::vector<std::string>{"w0@5", "w1@5"});

  // A storage failure: tolerated once, its folder discarded; the next one completes.
  chk_test::recording_storage flaky;
  chk::checkpoint_store flaky_store(flaky, 2);
  chk::coordinator c2(o, {"w0"}, {1, 128, {"counts"}}, now(), 6);
  clock += 10s;
  auto n = c2.poll(now());
  REQUIRE(n == 6u);
  c2.acknowledge(6, "w0", {.files = {{"counts", 0, {0, 128}, "x"}}, .sources = {}}, now());
  flaky.fail_on = "MANIFEST";
  CHECK_FALSE(chk::persist_checkpoint(c2, flaky_store, 6, now));
  CHECK(flaky.list().empty());  // discarded
  CHECK(c2.consecutive_failures() == 1);
  CHECK_FALSE(c2.job_failed());
  flaky.fail_on.clear();
  clock += 10s;
  REQUIRE(c2.poll(now()) == 7u);
  c2.acknowledge(7, "w0", {.files = {{"counts", 0, {0, 128}, "y"}}, .sources = {}}, now());
  CHECK(chk::persist_checkpoint(c2, flaky_store, 7, now));
  CHECK(flaky_store.completed_ids() == std::vector<spate::checkpoint_id>{7});
}

TEST_CASE("coordinator: a restarted job numbers on past every folder it finds") {
  chk::memory_storage s;
  chk::checkpoint_store store(s);
  s.write("chk-8/0-counts-s0-kg0-128.state", "left by a crash");
  chk::coordinator c(every(1s), {"w0"}, {}, t0, store.next_id());
  CHECK(c.poll(t0 + 1s) == 9u);
}

TEST_CASE("coordinator: random schedules keep the rules (timing, one in flight, endings, failure tolerance)") {
  std::size_t total_completed = 0, total_aborted = 0, failed_jobs = 0;
  for (unsigned seed = 1; seed <= 200; ++seed) {
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
    chk::checkpoint_options o;
    o.interval = std::chrono::milliseconds(500 + pick(3000));
    o.timeout = std::chrono::milliseconds(1500 + pick(8000));
    o.min_pause = std::chrono::milliseconds(pick(2) ? 0 : pick(2000));
    o.tolerable_failures = static_cast<std::size_t>(pick(4));
    const std::vector<std::string> who{"a", "b", "c"};
    const spate::checkpoint_id first = 1 + static_cast<spate::checkpoint_id>(pick(5));
    chk::coordinator c(o, who, {1, 128, {}}, t0, first);

    std::vector<spate::checkpoint_id> completed, aborted, triggered;
    std::size_t job_failures = 0;
    c.add_listener({[&](spate::checkpoint_id n) { completed.push_back(n); },
                    [&](spate::checkpoint_id n, const std::string&) { aborted.push_back(n); },
                    [&](const std::string&) { ++job_failures; }});
    tp now = t0, last_trigger = t0;
    std::optional<tp> last_end;
    std::size_t in_a_row = 0;
    std::optional<spate::checkpoint_id> open;
    std::vector<bool> acked(3);

    auto ended = [&](bool ok) {
      last_end = now;
      in_a_row = ok ? 0 : in_a_row + 1;
      open.reset();
    };
    for (int step = 0; step < 300; ++step) {
      now += std::chrono::milliseconds(pick(12) == 0 ? pick(4000) : pick(100));
      // A timeout is noticed at the next call; the model applies it first.
      const bool will_time_out = open && now - (last_trigger) >= o.timeout;
      const auto before_completed = completed.size(), before_aborted = aborted.size();
      switch (pick(8)) {
        case 0:
        case 1: {
          auto n = c.poll(now);
          if (will_time_out) ended(false);
          if (n) {
            REQUIRE_FALSE(open);
            REQUIRE_FALSE(c.job_failed());
            REQUIRE(*n == first + triggered.size());
            REQUIRE(now >= last_trigger + o.interval);
            if (last_end) REQUIRE(now >= *last_end + o.min_pause);
            triggered.push_back(*n);
            open = *n;
            last_trigger = now;
            acked.assign(3, false);
          } else if (!open && !c.job_failed()) {
            auto due = last_trigger + o.interval;
            if (last_end) due = std::max(due, *last_end + o.min_pause);
            REQUIRE(now < due);
          }
          break;
        }
        case 2:
        case 3:
        case 4:
        case 5: {  // an acknowledgement, maybe stale
          const auto i = static_cast<std::size_t>(pick(3));
          const spate::checkpoint_id n = open && pick(5) ? *open : first + static_cast<spate::checkpoint_id>(pick(30));
          auto s = c.acknowledge(n, who[i], {}, now);
          if (will_time_out) ended(false);
          if (!open || n != *open) {
            REQUIRE(s == chk::ack_status::unknown_checkpoint);
          } else if (acked[i]) {
            REQUIRE(s == chk::ack_status::duplicate);
          } else {
            acked[i] = true;
            const bool all = acked[0] && acked[1] && acked[2];
            REQUIRE(s == (all ? chk::ack_status::ready : chk::ack_status::accepted));
            if (all) {
              c.take_content(n);
              now += std::chrono::milliseconds(pick(1500));  // the write
              const bool late = now - last_trigger >= o.timeout;
              if (pick(8) == 0) {
                c.persist_failed(n, "disk full", now);
                ended(false);
              } else {
                const bool ok = c.persisted(n, now);
                REQUIRE(ok == !late);
                ended(ok);
              }
            }
          }
          break;
        }
        case 6: {  // a decline, now and then
          if (!open || pick(6) != 0) break;
          c.decline(*open, "b", "snapshot failed", now);
          ended(false);
          break;
        }
        default:
          break;
      }
      // Endings: each at most once, in order, and as the model says.
      REQUIRE(completed.size() + aborted.size() <= triggered.size());
      REQUIRE(completed.size() - before_completed + aborted.size() - before_aborted <= 2);
      REQUIRE(c.consecutive_failures() == in_a_row);
      REQUIRE(c.job_failed() == (job_failures > 0));
      if (c.job_failed()) {
        REQUIRE(job_failures == 1);
        REQUIRE(in_a_row == o.tolerable_failures + 1);
        break;
      }
      REQUIRE(c.pending() == open);
    }
    for (std::size_t i = 1; i < completed.size(); ++i) REQUIRE(completed[i] > completed[i - 1]);
    if (!completed.empty()) CHECK(c.last_completed() == completed.back());
    std::vector<spate::checkpoint_id> ends = completed;
    ends.insert(ends.end(), aborted.begin(), aborted.end());
    std::sort(ends.begin(), ends.end());
    REQUIRE(std::adjacent_find(ends.begin(), ends.end()) == ends.end());  // none ends twice
    total_completed += completed.size();
    total_aborted += aborted.size();
    failed_jobs += job_failures;
  }
  // The schedules reach every ending.
  CHECK(total_completed > 200);
  CHECK(total_aborted > 200);
  CHECK(failed_jobs > 20);
}
