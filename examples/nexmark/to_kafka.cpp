// nexmark_to_kafka: the Nexmark generator's events into a Kafka topic as JSON
// (examples/nexmark/kafka_events.hpp), for a job, spate's or Flink's, that
// reads them from there.
//
//   nexmark_to_kafka --bootstrap HOST:PORT --topic T [--events N] [--seed S]
//                    [--rate EVENTS_PER_S] [--parallelism P] [--partitions N]
//
// --partitions N creates the topic with N partitions if it does not exist
// (without it, the topic must exist).
//
// Prints the events written and the rate; exits 1 with the broker's message
// when the topic cannot be written.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "kafka_events.hpp"

namespace {
[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "nexmark_to_kafka: %s\n"
               "usage: nexmark_to_kafka --bootstrap HOST:PORT --topic T [--events N] [--seed S]\n"
               "                        [--rate EVENTS_PER_S] [--parallelism P] [--partitions N]\n",
               why.c_str());
  std::exit(2);
}
std::uint64_t number(const std::string& s, const std::string& what) {
  char* end = nullptr;
  const auto v = std::strtoull(s.c_str(), &end, 10);
  if (s.empty() || *end || s[0] == '-') usage("not a number for " + what + ": " + s);
  return v;
}
}  // namespace

int main(int argc, char** argv) {
  std::string bootstrap, topic;
  std::uint64_t events = 1'000'000;
  std::size_t parallelism = 1;
  int partitions = 0;
  nexmark::config cfg;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value for " + a);
      return argv[++i];
    };
    if (a == "--bootstrap") bootstrap = value();
    else if (a == "--topic") topic = value();
    else if (a == "--events") events = number(value(), a);
    else if (a == "--seed") cfg.seed = number(value(), a);
    else if (a == "--rate") cfg.event_rate = static_cast<double>(number(value(), a));
    else if (a == "--parallelism") parallelism = number(value(), a);
    else if (a == "--partitions") partitions = static_cast<int>(number(value(), a));
    else if (a == "--help" || a == "-h") usage("help");
    else usage("unknown argument " + a);
  }
  if (bootstrap.empty()) usage("--bootstrap is required");
  if (topic.empty()) usage("--topic is required");
  if (parallelism < 1) usage("--parallelism must be at least 1");
  if (cfg.event_rate <= 0) usage("--rate must be positive");
  try {
    const spate::kafka::config kcfg(bootstrap);
    if (partitions > 0) spate::kafka::admin(kcfg).create_topic(topic, partitions, 1, {}, /*if_not_exists=*/true);
    const auto t0 = std::chrono::steady_clock::now();
    nexmark::write_to_kafka(nexmark::generator(cfg), events, kcfg, topic, parallelism);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("topic=%s events=%" PRIu64 " parallelism=%zu seconds=%.3f events_per_s=%.0f\n", topic.c_str(), events,
                parallelism, s, static_cast<double>(events) / s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nexmark_to_kafka: %s\n", e.what());
    return 1;
  }
  return 0;
}
