// Word count over Kafka, in spate.
//   kafka_wordcount BOOTSTRAP INPUT_TOPIC OUTPUT_TOPIC
// Reads lines from INPUT_TOPIC (from the earliest offset), counts the words
// in one-second tumbling processing-time windows and writes one record per
// word and window to OUTPUT_TOPIC: key = the word, value = the count as
// decimal text. Delivery is at-least-once: every count is on the broker
// before the job ends. Ctrl-C (SIGINT) or SIGTERM stops it gracefully: the
// lines already read are counted, the last windows fire, and the output is
// flushed before it exits. See docs/kafka.md for running it against the
// broker of scripts/kafka.
#include <chrono>
#include <cstdint>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>

#include <spate/exec.hpp>
#include <spate/kafka.hpp>
#include <spate/serde/key_value.hpp>
#include <spate/serde/string_schema.hpp>
#include <spate/spate.hpp>
#include <spate/window.hpp>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: kafka_wordcount BOOTSTRAP INPUT_TOPIC OUTPUT_TOPIC\n";
    return 2;
  }
  using namespace std::chrono_literals;
  namespace kafka = spate::kafka;
  using text = spate::serde::string_schema;
  try {
    // [doc:kafka_wordcount]
    kafka::config cfg(argv[1]);
    spate::context ctx{spate::continuous{}};
    ctx.add(kafka::source(cfg, {argv[2]}, kafka::string_values()).start_from(kafka::earliest())
            | spate::flat_map([](const std::string& line) { return spate::words(line); })
            | spate::key_by([](std::string_view word) { return std::string(word); })
            | spate::window(spate::tumbling(1s).on_processing_time())
            | spate::count()
            | spate::map([](const auto& w) { return std::pair<std::string, std::string>(w.key, std::to_string(w.value)); })
            | kafka::sink(cfg, argv[3], spate::serde::key_value<text, text>{})
                  .delivery_guarantee(kafka::delivery::at_least_once));
    ctx.stop_on_signals();  // SIGINT / SIGTERM: graceful stop
    ctx.start();
    ctx.await_termination();
    // [end]
  } catch (const std::exception& e) {
    std::cerr << "kafka_wordcount: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
