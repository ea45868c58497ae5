// The job of the kill tests (eos_kill_test.cpp): Kafka -> keyed running count
// -> Kafka, checkpointed, run as its own process so that the test can
// SIGKILL it at any moment and start it again with the same folder.
//   kafka_eos_job BOOTSTRAP IN OUT FOLDER PARALLELISM eos|alo RATE_PER_PARTITION [two]
// With `two`, a second job of the same context counts the same input into
// OUT-b through a second exactly-once sink (the two share one transaction).
// Input values "key seq"; output: key, and the key's count so far. Under
// exactly-once the read_committed output holds, for every key, exactly the
// counts 1, 2, ..., n in order, however often the job was killed.
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>

#include <spate/kafka.hpp>
#include <spate/spate.hpp>

int main(int argc, char** argv) {
  if (argc != 8 && argc != 9) {
    std::cerr << "usage: kafka_eos_job BOOTSTRAP IN OUT FOLDER PARALLELISM eos|alo RATE_PER_PARTITION [two]\n";
    return 2;
  }
  using namespace std::chrono_literals;
  namespace kafka = spate::kafka;
  using text = spate::serde::string_schema;
  try {
    kafka::config cfg(argv[1]);
    cfg.timeout = std::chrono::seconds(30);
    const std::string out = argv[3];
    const bool eos = std::string_view(argv[6]) == "eos";
    // [doc:kafka_exactly_once]
    spate::context ctx{spate::continuous{}, spate::parallelism{std::stoul(argv[5])},
                       spate::checkpointing{.interval = 100ms, .folder = argv[4], .timeout = 30s}};
    auto counts_into = [&](const std::string& topic) {
      return kafka::source(cfg, {argv[2]}, kafka::string_values())
                 .until_offsets_end()
                 .max_rate_per_partition(std::stod(argv[7]))
             | spate::map([](const std::string& v) { return v.substr(0, v.find(' ')); })
             | spate::key_by([](const std::string& k) { return k; }) | spate::count()
             | spate::map([](const std::pair<std::string, std::int64_t>& kc) {
                 return std::pair<std::string, std::string>(kc.first, std::to_string(kc.second));
               })
             | kafka::sink(cfg, topic, spate::serde::key_value<text, text>{})
                   .delivery_guarantee(eos ? kafka::delivery::exactly_once : kafka::delivery::at_least_once)
                   .transactional_id_prefix("spate-eos-test-" + out);
    };
    ctx.add(counts_into(out));
    if (argc == 9) ctx.add(counts_into(out + "-b"));  // a second sink: the same transaction
    ctx.stop_on_signals();  // SIGTERM: stop with a final checkpoint; a restart continues there
    ctx.start();            // fences the last run's producer, restores the checkpoint whose output committed
    ctx.await_termination();
    // [end]
  } catch (const std::exception& e) {
    std::cerr << "kafka_eos_job: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
