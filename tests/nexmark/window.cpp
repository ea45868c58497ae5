// Nexmark q5, q7, q8, q11 (event-time windows) and q12 (processing time)
// against the reference, at parallelism 1 and 2, fused and unfused.
#include <catch2/catch.hpp>

#include <algorithm>
#include <mutex>
#include <vector>

#include "queries_window.hpp"
#include "fixture.hpp"

namespace {
using nexmark_test::data;
using nexmark_test::gen;
using nexmark_test::n_events;
template <class Row, class Make>
void check_bids_query(Make make, const std::vector<Row>& expected) {
  const auto want = ref::texts(expected);
  for (std::size_t p : {1, 2}) {
    std::vector<Row> got;
    spate::run(make(nexmark::bids(gen(), n_events)) | spate::collect_into(got), spate::parallelism{p});
    CHECK(ref::texts(got) == want);
  }
  std::vector<Row> unfused;
  spate::run_unfused(make(nexmark::bids(gen(), n_events)) | spate::collect_into(unfused));
  CHECK(ref::texts(unfused) == want);
}
}  // namespace

TEST_CASE("nexmark q5: the auctions with the most bids per sliding window") {
  const auto want = ref::q5(data());
  REQUIRE(want.size() >= 15);
  check_bids_query<nexmark::q5_row>([](auto b) { return nexmark::q5(std::move(b)); }, want);
}

TEST_CASE("nexmark q7: the highest bids per tumbling window") {
  const auto want = ref::q7(data());
  REQUIRE(want.size() >= 3);
  check_bids_query<nexmark::q7_row>([](auto b) { return nexmark::q7(std::move(b)); }, want);
}

TEST_CASE("nexmark q11: bids per bidder session") {
  const auto want = ref::q11(data());
  REQUIRE(want.size() >= 20);
  check_bids_query<nexmark::q11_row>([](auto b) { return nexmark::q11(std::move(b)); }, want);
}

TEST_CASE("nexmark q8: people who opened an auction in the window they registered in") {
  const auto want = ref::texts(ref::q8(data()));
  REQUIRE(want.size() >= 10);
  nexmark_test::check_rows<nexmark::q8_row>(
      [] { return nexmark::q8(nexmark::persons(gen(), n_events), nexmark::auctions(gen(), n_events)); }, want);
}

namespace {
/// Records the finite watermarks each sink instance receives.
struct watermark_sink : spate::sink_tag {
  struct logs {
    std::mutex m;
    std::vector<std::vector<std::int64_t>> per_instance;
  };
  logs* log;
  static constexpr const char* name = "watermark_sink";
  template <class Flow>
  static constexpr bool check() {
    return true;
  }
  struct built {
    logs* log;
    std::size_t me;
    template <class R>
    bool push(R&&) {
      return true;
    }
    void on_watermark(spate::event_time t) {
      if (t == spate::max_watermark) return;
      std::lock_guard g(log->m);
      log->per_instance[me].push_back(spate::to_millis(t));
    }
    void on_barrier(spate::checkpoint_id) {}
    void on_batch_end(const spate::batch_info&) {}
    void on_tick(spate::event_time) {}
    void on_idle(bool) {}
    void on_end() {}
  };
  template <class Flow, class Env>
  built build(Env&, spate::stage_label) const {
    std::lock_guard g(log->m);
    log->per_instance.emplace_back();
    return built{log, log->per_instance.size() - 1};
  }
};
}  // namespace

TEST_CASE("nexmark views: a shard that reads no event of the view's kind still moves event time on") {
  // Person ids are every 50th event: at parallelism 2 every person is in
  // shard 0. The view's watermark is taken over all events, as the DDL's, so
  // the persons' watermark advances during the run at every parallelism, not
  // only at the end of the input.
  const auto last_time = gen().date_time_at(n_events - 1);
  for (std::size_t p : {1, 2, 3}) {
    CAPTURE(p);
    watermark_sink::logs persons_log, auctions_log;
    spate::run(nexmark::persons(gen(), n_events) | watermark_sink{{}, &persons_log}, spate::parallelism{p});
    spate::run(nexmark::auctions(gen(), n_events) | watermark_sink{{}, &auctions_log}, spate::parallelism{p});
    for (auto* log : {&persons_log, &auctions_log}) {
      REQUIRE_FALSE(log->per_instance.empty());
      for (const auto& seen : log->per_instance) {
        REQUIRE(seen.size() > 10);
        CHECK(std::is_sorted(seen.begin(), seen.end()));
        // the last finite watermark is the last event's time minus the DDL's
        // 4 s (minus one shard's last step at most)
        CHECK(seen.back() <= last_time - 4'000);
        CHECK(seen.back() >= last_time - 4'000 - 10);
      }
    }
  }
}

TEST_CASE("nexmark q12: bids per bidder in processing-time windows count every bid once") {
  // Which window a bid falls in depends on the wall clock; how many bids the
  // windows count together does not.
  for (std::size_t p : {1, 2}) {
    std::vector<nexmark::q11_row> got;
    spate::run(nexmark::q12(nexmark::bids(gen(), n_events)) | spate::collect_into(got), spate::parallelism{p});
    std::map<std::int64_t, std::int64_t> per_bidder, want;
    for (const auto& r : got) per_bidder[r.bidder] += r.bid_count;
    for (const auto& b : data().bids) ++want[b.bidder];
    CHECK(per_bidder == want);
  }
}
