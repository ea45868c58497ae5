// Exactly-once across crashes, the Kafka Streams streams_eos_test way: a
// Kafka -> spate (keyed running count, checkpointed) -> Kafka job runs as a
// child process (kafka_eos_job), is SIGKILLed at random moments and started
// again with the same checkpoint folder, then runs to the end of its input.
// The read_committed output must hold, for every key, exactly the counts
// 1, 2, ..., n in order: nothing lost, nothing repeated.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <spate/kafka.hpp>
#include <spate/spate.hpp>

#include "child_process.hpp"
#include "kafka_support.hpp"

namespace {

using spate_test::start_job;
using spate_test::wait_job;

struct kill_run {
  int kills = 10;
  std::size_t parallelism = 1;
  bool exactly_once = true;
  std::size_t later = 0;  // from the middle kill on, runs at this parallelism (0: the same)
  std::size_t last = 0;   // the final run's parallelism (0: the same)
  bool two = false;       // a second job and exactly-once sink into OUT-b
};

// SPATE_EOS_KILLS=100 for a long run by hand; the suite kills 10 times.
int kills_or(int n) {
  const char* e = std::getenv("SPATE_EOS_KILLS");
  return e ? std::atoi(e) : n;
}

// Returns every key's counts, in output order.
using counts_by_key = std::map<std::string, std::vector<long>>;

counts_by_key read_counts(const std::string& topic) {
  counts_by_key by_key;
  for (const auto& m : kt::read_all(topic, /*read_committed=*/true)) by_key[*m.key].push_back(std::stol(m.value));
  return by_key;
}

// Every key's counts are exactly 1, 2, ..., n / 10.
void check_exact(const counts_by_key& by_key, int n) {
  REQUIRE(by_key.size() == 10);
  for (const auto& [k, counts] : by_key) {
    CAPTURE(k);
    // Where the sequence first breaks, with what is around it.
    std::size_t bad = 0;
    while (bad < counts.size() && counts[bad] == static_cast<long>(bad + 1)) ++bad;
    std::string around;
    for (std::size_t i = bad >= 3 ? bad - 3 : 0; i < std::min(counts.size(), bad + 4); ++i)
      around += std::to_string(counts[i]) + " ";
    INFO("first break at index " << bad << ": " << around);
    REQUIRE(counts.size() == static_cast<std::size_t>(n / 10));  // nothing lost, nothing repeated
    for (std::size_t i = 0; i < counts.size(); ++i) REQUIRE(counts[i] == static_cast<long>(i + 1));
  }
}

std::map<std::string, std::vector<long>> run_with_kills(const kill_run& r, int n, std::uint32_t seed,
                                                        std::string* out_topic = nullptr) {
  // Slow enough that the job is still reading at the last kill: each run
  // reads for a few hundred ms before it is killed.
  const int rate = std::max(50, n / (r.kills + 15) / 2);
  auto in = kt::new_topic("eos-in", 2), out = kt::new_topic("eos-out", 2);
  if (r.two) spate::kafka::admin(kt::cfg()).create_topic(out + "-b", 2);
  {
    kt::producer p;
    for (int i = 0; i < n; ++i) p.send(in, "k" + std::to_string(i % 10) + " " + std::to_string(i));
    p.flush();
  }
  const auto folder = std::filesystem::temp_directory_path() / ("spate-eos-" + out);
  std::filesystem::remove_all(folder);
  std::vector<std::string> args{SPATE_KAFKA_EOS_JOB,
                                      spate_test::kafka::bootstrap(),
                                      in,
                                      out,
                                      folder.string(),
                                      std::to_string(r.parallelism),
                                      r.exactly_once ? "eos" : "alo",
                                      std::to_string(rate)};
  if (r.two) args.push_back("two");
  if (out_topic) *out_topic = out;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> ms(300, 1800);
  for (int k = 0; k < r.kills; ++k) {
    if (r.later && k == r.kills / 2) args[5] = std::to_string(r.later);
    pid_t pid = start_job(args);
    const int wait = ms(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    ::kill(pid, SIGKILL);
    int status = wait_job(pid);
    INFO("kill " << k << " after " << wait << " ms");
    CHECK(WIFSIGNALED(status));  // killed while running, not finished before
  }
  if (r.last) args[5] = std::to_string(r.last);
  pid_t pid = start_job(args);
  int status = wait_job(pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  std::filesystem::remove_all(folder);
  return read_counts(out);
}

}  // namespace

TEST_CASE("exactly-once across SIGKILLs: the read_committed output is exact", "[kafka][checkpoint][kill]") {
  const int n = 20000;
  for (std::size_t p : {1u, 2u}) {
    CAPTURE(p);
    check_exact(run_with_kills({kills_or(10), p, true}, n, 20261202u + static_cast<std::uint32_t>(p)), n);
  }
}

TEST_CASE("exactly-once across SIGKILLs and changes of parallelism (2, then 3, then 1)", "[kafka][checkpoint][kill]") {
  const int n = 20000;
  kill_run r{6, 2, true};
  r.later = 3;
  r.last = 1;
  check_exact(run_with_kills(r, n, 99u), n);
}

TEST_CASE("two exactly-once sinks in one context share one transaction: both outputs exact across SIGKILLs",
          "[kafka][checkpoint][kill]") {
  const int n = 10000;
  kill_run r{5, 1, true};
  r.two = true;
  std::string out;
  check_exact(run_with_kills(r, n, 5u, &out), n);
  check_exact(read_counts(out + "-b"), n);
}

TEST_CASE("at-least-once across SIGKILLs: nothing lost", "[kafka][checkpoint][kill]") {
  const int n = 20000;
  auto by_key = run_with_kills({5, 2, false}, n, 7u);
  REQUIRE(by_key.size() == 10);
  for (const auto& [k, counts] : by_key) {
    CAPTURE(k);
    std::vector<bool> seen(static_cast<std::size_t>(n / 10) + 1, false);
    for (long c : counts) {
      REQUIRE(c >= 1);
      REQUIRE(c <= n / 10);
      seen[static_cast<std::size_t>(c)] = true;
    }
    for (std::size_t c = 1; c < seen.size(); ++c) REQUIRE(seen[c]);  // every count reached the output
  }
}

TEST_CASE("a checkpointed context refuses exactly-once sinks with two transactional prefixes", "[kafka][checkpoint]") {
  namespace kafka = spate::kafka;
  auto out = kt::new_topic("eos-two-prefixes", 1);
  const auto folder = std::filesystem::temp_directory_path() / ("spate-eos-" + out);
  std::filesystem::remove_all(folder);
  spate::context ctx{spate::continuous{},
                     spate::checkpointing{.interval = std::chrono::milliseconds(100), .folder = folder}};
  for (const char* prefix : {"first-" , "second-"})
    ctx.add(spate::from_elements(std::string("x"))
            | kafka::sink(kt::cfg(), out).delivery_guarantee(kafka::delivery::exactly_once).transactional_id_prefix(
                  prefix + out));
  CHECK_THROWS_WITH(ctx.start(), Catch::Matchers::Contains("the same cluster and transactional_id_prefix"));
  std::filesystem::remove_all(folder);
}
