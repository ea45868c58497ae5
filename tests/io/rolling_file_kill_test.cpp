// Exactly-once files across crashes: a text_file -> keyed count -> rolling
// text files job runs as a child process (rolling_file_kill_job), is
// SIGKILLed at random moments and started again with the same checkpoint
// folder, then runs to the end of its input. The visible parts must hold,
// for every key, exactly the counts 1, 2, ..., n in order; no hidden file
// (in progress or pending) may be left.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../checkpoint/support.hpp"
#include "child_process.hpp"

namespace fs = std::filesystem;

namespace {

using spate_test::start_job;
using spate_test::wait_job;

// SPATE_FILE_KILLS=100 for a long run by hand; the suite kills 10 times.
int kills_or(int n) {
  const char* e = std::getenv("SPATE_FILE_KILLS");
  return e ? std::atoi(e) : n;
}

constexpr int keys = 10;

void run_with_kills(std::size_t parallelism, int kills, int n, std::uint32_t seed) {
  chk_test::temp_dir d("spate_file_kill");
  fs::create_directories(d.path() / "out");
  const fs::path in = d.path() / "in.txt";
  {
    std::ofstream f(in);
    for (int i = 0; i < n; ++i) f << 'k' << (i % keys) << ' ' << i << '\n';
  }
  std::vector<std::string> args{SPATE_ROLLING_FILE_KILL_JOB, in.string(), (d.path() / "out").string(),
                                (d.path() / "checkpoints").string(), std::to_string(parallelism), "1000"};
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> ms(300, 1500);
  int killed_running = 0;
  for (int k = 0; k < kills; ++k) {
    pid_t pid = start_job(args);
    const int wait = ms(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    ::kill(pid, SIGKILL);
    const int status = wait_job(pid);
    INFO("kill " << k << " after " << wait << " ms");
    if (WIFSIGNALED(status)) ++killed_running;
    else REQUIRE(WEXITSTATUS(status) == 0);  // it finished first: fine, but it must not have failed
  }
  CHECK(killed_running > kills / 2);  // the kills hit a running job (the input lasts several runs)
  args.back() = "1000000";            // the last run goes to the end at full speed
  const int status = wait_job(start_job(args));
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  std::vector<std::string> visible, hidden;
  for (const auto& e : fs::directory_iterator(d.path() / "out")) {
    const std::string name = e.path().filename().string();
    (name.starts_with('.') ? hidden : visible).push_back(name);
  }
  CHECK(hidden.empty());  // nothing in progress or pending is left
  std::sort(visible.begin(), visible.end());
  std::map<std::string, std::vector<long>> by_key;
  for (const auto& name : visible) {
    std::ifstream f(d.path() / "out" / name);
    for (std::string line; std::getline(f, line);) {
      CAPTURE(name, line);
      const auto sp = line.find(' ');
      REQUIRE(sp != std::string::npos);
      by_key[line.substr(0, sp)].push_back(std::stol(line.substr(sp + 1)));
    }
  }
  REQUIRE(by_key.size() == static_cast<std::size_t>(keys));
  for (const auto& [k, counts] : by_key) {
    CAPTURE(k);
    std::size_t bad = 0;
    while (bad < counts.size() && counts[bad] == static_cast<long>(bad + 1)) ++bad;
    INFO("first break at index " << bad);
    REQUIRE(counts.size() == static_cast<std::size_t>(n / keys));  // nothing lost, nothing repeated
    REQUIRE(bad == counts.size());
  }
}

}  // namespace

TEST_CASE("exactly-once rolling files across SIGKILLs: the visible parts are exact", "[rolling][checkpoint][kill]") {
  for (std::size_t p : {1u, 2u}) {
    CAPTURE(p);
    const int kills = kills_or(10);
    // Input for about twice as long as the kills take, at 1000 lines a second.
    run_with_kills(p, kills, std::max(20'000, 2'000 * kills), 20261202u + static_cast<std::uint32_t>(p));
  }
}
