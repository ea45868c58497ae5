// A broker restart while a job runs: the job goes on once the broker is
// back; with at_least_once nothing is lost (duplicates are allowed).
#include <catch2/catch.hpp>

#include <atomic>
#include <exception>
#include <set>
#include <spate/spate.hpp>
#include <thread>

#include "kafka_support.hpp"

namespace kafka = spate::kafka;

TEST_CASE("broker restart mid-run: at_least_once loses nothing", "[kafka][restart]") {
  auto in = kt::new_topic("restart-in", 2), out = kt::new_topic("restart-out", 2);
  const int n = 20000;
  {
    kt::producer p;
    for (int i = 0; i < n; ++i) p.send(in, std::to_string(i));
    p.flush();
  }
  auto cfg = kt::cfg();
  cfg.timeout = std::chrono::seconds(30);
  cfg.set("reconnect.backoff.max.ms", "500");  // reconnect soon after the broker is back
  std::atomic<long> seen{0};
  std::exception_ptr failure;
  // About 5 s of work (2 partitions at 2000 records/s), so the restart lands in the middle.
  std::thread job([&] {
    try {
      spate::run(kafka::source(cfg, {in}).until_offsets_end().max_rate_per_partition(2000) |
                 spate::inspect([&](const std::string&) { seen.fetch_add(1); }) |
                 kafka::sink(cfg, out).delivery_guarantee(kafka::delivery::at_least_once));
    } catch (...) {
      failure = std::current_exception();
    }
  });
  while (seen.load() < n / 5) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(spate_test::kafka::kafka_script("stop-broker 1") == 0);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  long during = seen.load();
  REQUIRE(spate_test::kafka::kafka_script("start-broker 1") == 0);
  job.join();
  if (failure) std::rethrow_exception(failure);
  CHECK(during < n);  // the restart happened while the job was running
  auto got = kt::values(kt::read_all(out));
  std::set<std::string> distinct(got.begin(), got.end());
  CHECK(distinct.size() == static_cast<std::size_t>(n));  // nothing lost
  CHECK(got.size() >= static_cast<std::size_t>(n));       // duplicates allowed
}
