// A running Kafka example for the dashboard's browser test
// (dashboard_test.sh --kafka): writes 4000 records into a new two-partition
// topic of the test broker, then reads them back rate-limited (50 records a
// second per partition), so that the partitions' lag stays visible for a
// minute; its figures are served on a free loopback port, which it prints
// ("port <n>") before it runs until stdin closes (or two minutes pass).
#include <spate/kafka.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "dashboard_serve.hpp"

#include "../kafka_broker/kafka_test_env.hpp"

int main() {
  using namespace std::chrono_literals;
  namespace kafka = spate::kafka;
  kafka::config cfg(spate_test::kafka::bootstrap());
  const std::string topic = spate_test::kafka::unique_topic("spate-dashboard");
  kafka::admin(cfg).create_topic(topic, 2);
  std::vector<std::string> values;
  for (int i = 0; i < 4000; ++i) values.push_back("record " + std::to_string(i));
  spate::run(spate::from_collection(values) | kafka::sink(cfg, topic));

  spate::context ctx{spate::micro_batch{200ms}};
  ctx.add(kafka::source(cfg, {topic}).max_rate_per_partition(50) | spate::map([](const std::string& s) { return s.size(); }) |
          spate::for_each([](std::size_t) {}));
  return spate_test::serve_dashboard(ctx, "topic " + topic + "\n");
}
