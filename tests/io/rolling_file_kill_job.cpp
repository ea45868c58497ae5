// The job of the file kill test (rolling_file_kill_test.cpp): text_file ->
// keyed running count -> exactly-once rolling text files, checkpointed, run
// as its own process so that the test can SIGKILL it at any moment and start
// it again with the same checkpoint folder.
//   rolling_file_kill_job IN OUT_DIR FOLDER PARALLELISM RECORDS_PER_SECOND
// Input lines "key seq"; output lines "key count". However often the job was
// killed, the visible parts hold, for every key, exactly the counts 1, 2,
// ..., n in order.
#include <cstdint>
#include <exception>
#include <iostream>
#include <string>
#include <utility>

#include <spate/spate.hpp>

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: rolling_file_kill_job IN OUT_DIR FOLDER PARALLELISM RECORDS_PER_SECOND\n";
    return 2;
  }
  using namespace std::chrono_literals;
  try {
    spate::context ctx{spate::continuous{}, spate::parallelism{std::stoul(argv[4])},
                       spate::max_rate{std::stoull(argv[5])},
                       spate::checkpointing{.interval = 100ms, .folder = argv[3], .timeout = 30s}};
    ctx.add(spate::text_file(argv[1]) | spate::map([](const std::string& line) { return line.substr(0, line.find(' ')); })
            | spate::key_by([](const std::string& k) { return k; }) | spate::count()
            | spate::map([](const std::pair<std::string, std::int64_t>& kc) {
                return kc.first + " " + std::to_string(kc.second);
              })
            | spate::rolling_text_files(argv[2], {.max_bytes = 4096}));
    ctx.start();  // restores the newest checkpoint: commits its pending parts, drops later ones, reads on from its line
    ctx.await_termination();
  } catch (const std::exception& e) {
    std::cerr << "rolling_file_kill_job: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
