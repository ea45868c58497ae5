// Through a running context's checkpoints: a job of top_n, aggregates or
// keep_first checkpointed at parallelism 2 (continuous and micro-batch),
// stopped, and resumed from its checkpoint, ends with what one uninterrupted
// run gives: nothing lost, nothing repeated. (Sources resume only at the
// parallelism they were checkpointed at; the stages' state moving to another
// parallelism by key group is the rescale law of restore_law.cpp.)
#include <catch2/catch.hpp>

#include <spate/algebra/dedup.hpp>
#include <spate/algebra/distinct.hpp>
#include <spate/algebra/top_n.hpp>
#include <spate/spate.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "../checkpoint/support.hpp"
#include "checkpoint_wait.hpp"
#include "common.hpp"

using ops_test::bid;
using namespace std::chrono_literals;

namespace {
constexpr std::uint64_t n = 20'000;
bid nth_bid(std::uint64_t i) {
  const auto j = static_cast<std::int64_t>(i);
  return {j % 13, (j * 7919) % 101, static_cast<std::int64_t>((i * 2246822519u) % 100'000), j};
}
auto source() { return spate::generate(nth_bid, n) | spate::key_by(&bid::auction); }

template <class Job, class... Opts>
void run_until_checkpoints(Job job, Opts... opts) {
  spate::context ctx{opts...};
  ctx.add(std::move(job));
  ctx.start();
  REQUIRE(spate_test::await_checkpoints(ctx, 2));
  ctx.stop(spate::stop_mode::graceful);  // a final checkpoint
  ctx.await_termination();
}
template <class Job, class... Opts>
void run_to_end(Job job, Opts... opts) {
  spate::context ctx{opts...};
  ctx.add(std::move(job));
  ctx.start();
  ctx.await_termination();
}

// The job made by `make(out)` run at P=2 until two checkpoints, then resumed
// from them: both outputs, in order.
template <class Out, class Make>
Out stopped_and_resumed(const Make& make, bool batched) {
  chk_test::temp_dir d("spate_ops");
  const spate::checkpointing c{.interval = 20ms, .folder = d.path()};
  Out first, second;
  if (batched) {
    run_until_checkpoints(make(first), spate::micro_batch{20ms}, spate::parallelism{2}, spate::max_rate{4000}, c);
    run_to_end(make(second), spate::micro_batch{20ms}, spate::parallelism{2}, c);
  } else {
    run_until_checkpoints(make(first), spate::continuous{}, spate::parallelism{2}, spate::max_rate{4000}, c);
    run_to_end(make(second), spate::continuous{}, spate::parallelism{2}, c);
  }
  CHECK(first.size() > 0);
  first.insert(first.end(), second.begin(), second.end());
  return first;
}
template <class Pairs>
auto last_per_key(const Pairs& out) {
  std::map<std::remove_cvref_t<decltype(out.front().first)>, std::remove_cvref_t<decltype(out.front().second)>> m;
  for (const auto& [k, v] : out) m[k] = v;
  return m;
}
}  // namespace

TEST_CASE("stopped with a checkpoint and resumed: top_n, aggregates, keep_first", "[operators][checkpoint]") {
  using ranking = std::vector<std::pair<std::int64_t, std::vector<bid>>>;
  using counted = std::vector<std::pair<std::int64_t, std::tuple<std::int64_t, std::int64_t>>>;
  auto top = [](ranking& out) {
    return source() | spate::top_n<3>(spate::descending(&bid::price)) | spate::collect_into(out);
  };
  auto counts = [](counted& out) {
    return source() | spate::aggregates(spate::count(), spate::count_distinct(&bid::bidder)) | spate::collect_into(out);
  };
  auto firsts = [](std::vector<bid>& out) {
    return spate::generate(nth_bid, n) | spate::key_by(&bid::bidder) | spate::keep_first() | spate::collect_into(out);
  };
  ranking top_whole;
  counted counts_whole;
  std::vector<bid> firsts_whole;
  spate::run(top(top_whole));
  spate::run(counts(counts_whole));
  spate::run(firsts(firsts_whole));
  for (bool then : {false, true}) {
    CAPTURE(then);  // micro-batch?
    CHECK(last_per_key(stopped_and_resumed<ranking>(top, then)) == last_per_key(top_whole));
    CHECK(last_per_key(stopped_and_resumed<counted>(counts, then)) == last_per_key(counts_whole));
    // Each bidder's first bid, once: none again after the restore.
    auto all = stopped_and_resumed<std::vector<bid>>(firsts, then);
    std::multiset<std::int64_t> bidders;
    for (const bid& b : all) bidders.insert(b.bidder);
    CHECK(bidders.size() == firsts_whole.size());
    CHECK(std::set<std::int64_t>(bidders.begin(), bidders.end()).size() == firsts_whole.size());
  }
}
