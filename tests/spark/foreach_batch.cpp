// foreach_batch (io/foreach_batch.hpp): Spark's foreachRDD.
#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "support.hpp"

using namespace std::chrono_literals;
using spate_laws::batch_end;
using Catch::Matchers::Contains;

namespace {
struct seen_batch {
  std::uint64_t number;
  std::int64_t time;
  std::vector<int> records;
  friend bool operator==(const seen_batch&, const seen_batch&) = default;
};
}  // namespace

TEST_CASE("foreach_batch calls f once per batch with its records, time and number", "[spark][foreach_batch]") {
  std::vector<seen_batch> seen;
  auto job = spate::from_elements(0) | spate::map([](int x) { return x * 10; }) |
             spate::foreach_batch([&](const std::vector<int>& rs, spate::batch_info b) {
               seen.push_back({b.number, spate::to_millis(b.time), rs});
             });
  // records 1 2 | 3 | (empty) | 4, then the end of input
  spark_test::feed_batched<decltype(job), int>(job, {1, 2, batch_end{}, 3, batch_end{}, batch_end{}, 4});
  CHECK(seen == std::vector<seen_batch>{{0, 0, {10, 20}}, {1, 1000, {30}}, {2, 2000, {}}, {3, 2000, {40}}});
}

TEST_CASE("foreach_batch under run_batch: the whole input is one batch", "[spark][foreach_batch]") {
  // [doc:foreach_batch]
  std::vector<std::string> lines{"a b", "b c a"};
  std::vector<std::size_t> batch_sizes;
  spate::run_batch(spate::from_collection(lines)
                   | spate::flat_map([](const std::string& l) { return spate::words(l); })
                   | spate::foreach_batch([&](const std::vector<std::string>& words, spate::batch_info) {
                       batch_sizes.push_back(words.size());  // e.g. one database round trip per batch
                     }));
  CHECK(batch_sizes == std::vector<std::size_t>{5});
  // [end]
  std::vector<std::string> got;
  spate::run_batch_unfused(spate::from_collection(lines) |
                           spate::flat_map([](const std::string& l) { return spate::words(l); }) |
                           spate::foreach_batch([&](const std::vector<std::string>& ws) { got = ws; }));
  CHECK(got == std::vector<std::string>{"a", "b", "b", "c", "a"});  // owned strings, not views into a line
}

namespace {
// Runs `src | stages | foreach_batch` under a micro-batch context at parallelism p
// and checks that every batch reached f once, whole, in order, from one thread.
template <class MakeJob>
void check_whole_batches(std::size_t p, const std::vector<int>& input, const MakeJob& make) {
  CAPTURE(p);
  std::vector<seen_batch> seen;
  std::vector<std::thread::id> threads;
  // The rate caps each source shard's batch, so the input spans several batches.
  spate::context ctx{spate::micro_batch{20ms}, spate::parallelism{p}, spate::max_rate{100'000}};
  ctx.add(make([&](const std::vector<int>& rs, spate::batch_info b) {
    seen.push_back({b.number, spate::to_millis(b.time), rs});
    threads.push_back(std::this_thread::get_id());
  }));
  ctx.start();
  ctx.await_termination();
  REQUIRE(!seen.empty());
  std::vector<int> all;
  std::size_t non_empty = 0;
  const auto metrics = ctx.batches();
  std::map<std::uint64_t, std::uint64_t> read;  // records read per batch, over every source shard
  for (const auto& m : metrics) read[m.number] = m.records;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    CAPTURE(i);
    CHECK(seen[i].number == i);  // once each, in order
    if (i > 0) CHECK(seen[i].time == seen[i - 1].time + 20);
    CHECK(threads[i] == threads[0]);
    if (read.count(seen[i].number)) CHECK(seen[i].records.size() == read[seen[i].number]);  // whole
    non_empty += !seen[i].records.empty();
    all.insert(all.end(), seen[i].records.begin(), seen[i].records.end());
  }
  CHECK(non_empty >= 2);
  CHECK(read.size() >= seen.size() - 1);  // the metrics cover (nearly) every batch f saw
  std::sort(all.begin(), all.end());
  std::vector<int> expected;
  for (int x : input) expected.push_back(x * 2);
  std::sort(expected.begin(), expected.end());
  CHECK(all == expected);
}
}  // namespace

TEST_CASE("foreach_batch sees each micro-batch once, whole and in order, at any parallelism", "[spark][foreach_batch][parallel]") {
  std::vector<int> input(12'000);
  std::iota(input.begin(), input.end(), 0);
  for (std::size_t p : {1u, 2u, 3u}) {
    check_whole_batches(p, input, [&](auto f) {
      return spate::from_collection(input) | spate::map([](int x) { return x * 2; }) | spate::foreach_batch(f);
    });
    // through a shuffle: the workers after key_by feed the sink thread
    check_whole_batches(p, input, [&](auto f) {
      return spate::from_collection(input) | spate::key_by([](int x) { return x % 7; }) |
             spate::map([](int x) { return x * 2; }) | spate::foreach_batch(f);
    });
  }
}

TEST_CASE("foreach_batch and transform refuse executors without batches, at start, naming the stage", "[spark][foreach_batch][transform]") {
  std::vector<int> input{1, 2, 3};
  auto sink = spate::foreach_batch([](const std::vector<int>&) {});
  CHECK_THROWS_WITH(spate::run(spate::from_collection(input) | sink),
                    Contains("stage 'foreach_batch' (#1") && Contains("runs once per micro-batch") &&
                        Contains("spate::micro_batch{interval}"));
  CHECK_THROWS_AS(spate::run_unfused(spate::from_collection(input) | sink), spate::stage_error);
  auto identity = spate::transform([](std::vector<int>& rs) -> std::vector<int>& { return rs; });
  std::vector<int> out;
  CHECK_THROWS_WITH(spate::run(spate::from_collection(input) | spate::map([](int x) { return x; }) | identity |
                               spate::collect_into(out)),
                    Contains("stage 'transform' (#2") && Contains("runs once per micro-batch"));
  for (std::size_t p : {1u, 2u}) {
    CAPTURE(p);
    spate::context ctx{spate::continuous{}, spate::parallelism{p}};
    ctx.add(spate::from_collection(input) | spate::key_by([](int x) { return x; }) |
            spate::map([](int x) { return x; }) | sink);
    ctx.start();
    CHECK_THROWS_WITH(ctx.await_termination(), Contains("stage 'foreach_batch' (#3") && Contains("runs once per micro-batch"));
    spate::context ctx2{spate::continuous{}, spate::parallelism{p}};
    ctx2.add(spate::from_collection(input) | spate::key_by([](int x) { return x; }) | identity |
             spate::collect_into(out));
    ctx2.start();
    CHECK_THROWS_WITH(ctx2.await_termination(), Contains("stage 'transform' (#2") && Contains("runs once per micro-batch"));
  }
  CHECK(out.empty());
}

TEST_CASE("foreach_batch keeps an open batch across a snapshot (restore law)", "[spark][foreach_batch][checkpoint]") {
  using Out = std::vector<std::pair<std::uint64_t, std::vector<int>>>;
  auto make = [](Out& out) {
    return spate::from_elements(0) | spate::foreach_batch([&out](const std::vector<int>& rs, spate::batch_info b) {
             out.emplace_back(b.number, rs);
           });
  };
  const std::vector<spate_laws::event<int>> events{1, 2, batch_end{}, 3, 4, 5, batch_end{}, 6, batch_end{}, 7};
  for (std::size_t cut = 0; cut <= events.size(); ++cut)
    spate_laws::restore_equals_uninterrupted<Out, spate::compacted_env>(make, events, cut);
}

TEST_CASE("foreach_batch: a barrier inside a batch of records it cannot encode is an error", "[spark][foreach_batch][checkpoint]") {
  static_assert(!spate::serde::Encodable<spark_test::opaque>);
  spate::compacted_env env;
  auto job = spate::from_elements(spark_test::opaque{}) |
             spate::foreach_batch([](const std::vector<spark_test::opaque>&) {});
  auto c = spate::fuse::build(env, job);
  static_assert(!spate::stateful_stage<decltype(c)>);
  c.on_barrier(1);  // between batches: nothing held
  c.push(spark_test::opaque{1, nullptr});
  CHECK_THROWS_WITH(c.on_barrier(2), Contains("foreach_batch") && Contains("1 records"));
  c.on_batch_end(spate::batch_info{spate::from_millis(1000), 0});
  c.on_barrier(3);
}

TEST_CASE("under micro-batch checkpoints, barriers come between batches: nothing is held at a barrier", "[spark][foreach_batch][transform][checkpoint]") {
  // opaque records cannot be checkpointed: a barrier inside a batch would fail the job.
  std::vector<spark_test::opaque> input;
  for (int i = 0; i < 6000; ++i) input.push_back({i, nullptr});
  for (std::size_t p : {1u, 2u}) {
    CAPTURE(p);
    spark_test::temp_dir d;
    std::int64_t sum = 0;
    std::size_t batches = 0;
    spate::context ctx{spate::micro_batch{10ms}, spate::parallelism{p}, spate::max_rate{6000},
                       spate::checkpointing{.interval = 20ms, .folder = d.path()}};
    ctx.add(spate::from_collection(input) |
            spate::transform([](std::vector<spark_test::opaque>& rs) -> std::vector<spark_test::opaque>& { return rs; }) |
            spate::foreach_batch([&](const std::vector<spark_test::opaque>& rs) {
              ++batches;
              for (const auto& r : rs) sum += r.v;
            }));
    ctx.start();
    ctx.await_termination();
    CHECK(ctx.checkpoints()->completed() >= 2);
    CHECK(sum == 5999LL * 6000 / 2);
    CHECK(batches >= 2);
  }
}
