// examples/kafka_wordcount end to end against the broker: lines in, one
// (word, count) record per word and 1 s window out; SIGTERM stops it
// gracefully (exit status 0, everything read is counted and delivered).
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <thread>

#include "kafka_support.hpp"

#ifndef SPATE_KAFKA_WORDCOUNT
#error "SPATE_KAFKA_WORDCOUNT: path of the kafka_wordcount example"
#endif

TEST_CASE("kafka_wordcount: counts words per window, stops on SIGTERM", "[kafka][example]") {
  auto in = kt::new_topic("wc-in", 2), out = kt::new_topic("wc-out", 1);
  {
    kt::producer p;
    p.send(in, "to be or not to be");
    p.send(in, "that is the question");
    p.send(in, "be quick");
    p.flush();
  }
  std::string boot = spate_test::kafka::bootstrap();
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::execl(SPATE_KAFKA_WORDCOUNT, "kafka_wordcount", boot.c_str(), in.c_str(), out.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait for the first window's output, then stop the example.
  std::map<std::string, long> counts;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    counts.clear();
    for (auto& m : kt::read_all(out)) counts[m.key.value_or("")] += std::stol(m.value);
    if (counts["be"] >= 3 || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  counts.clear();
  for (auto& m : kt::read_all(out)) counts[m.key.value_or("")] += std::stol(m.value);
  CHECK(counts == std::map<std::string, long>{{"to", 2}, {"be", 3}, {"or", 1}, {"not", 1}, {"that", 1},
                                               {"is", 1}, {"the", 1}, {"question", 1}, {"quick", 1}});
}
