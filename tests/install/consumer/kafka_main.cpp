// Links spate::kafka from an installed spate: a Kafka config and a source
// descriptor (nothing connects before a pipeline runs), and librdkafka itself.
#include <spate/kafka.hpp>
#include <spate/spate.hpp>

#include <iostream>
#include <string>
#include <type_traits>

int main() {
  namespace kafka = spate::kafka;
  kafka::config cfg("127.0.0.1:1");
  cfg.set("linger.ms", "5");
  auto src = kafka::source(cfg, {"lines"}).until_offsets_end().max_rate_per_partition(100);
  static_assert(std::is_same_v<decltype(src)::value_type, std::string>);
  std::cout << cfg.canonical() << '\n' << "librdkafka " << rd_kafka_version_str() << '\n';
}
