// librdkafka's log lines go through spate's logger (io/kafka/config.hpp):
// a client pointed at a port where no broker listens logs its failed
// connections there, not as raw "%3|..." lines on stderr. No broker needed.
#include <catch2/catch.hpp>

#include <spate/kafka.hpp>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

TEST_CASE("log: librdkafka's lines reach the user's sink, with their level") {
  std::mutex m;
  std::vector<spate::log_record> seen;
  std::vector<std::string> texts;
  spate::set_log_level(spate::log_level::debug);
  spate::set_log_sink([&](const spate::log_record& r) {
    std::lock_guard lock(m);
    seen.push_back(r);
    texts.emplace_back(r.message);
  });
  {
    spate::kafka::config cfg("127.0.0.1:1");  // nothing listens on port 1
    auto conf = spate::kafka::detail::make_conf(cfg, {}, {}, "test");
    auto h = spate::kafka::detail::make_handle(RD_KAFKA_PRODUCER, std::move(conf), "test");
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    for (;;) {
      {
        std::lock_guard lock(m);
        if (!seen.empty()) break;
      }
      if (std::chrono::steady_clock::now() > deadline) break;
      rd_kafka_poll(h.get(), 50);
    }
  }
  spate::set_log_sink(nullptr);
  spate::set_log_level(spate::log_level::info);
  std::lock_guard lock(m);
  REQUIRE_FALSE(seen.empty());
  CHECK(seen.front().component == "kafka");
  CHECK(texts.front().find("[") != std::string::npos);  // the facility, e.g. [FAIL]
  CHECK(spate::kafka::detail::log_level_of(3, "x") == spate::log_level::error);
  CHECK(spate::kafka::detail::log_level_of(4, "x") == spate::log_level::warn);
  CHECK(spate::kafka::detail::log_level_of(6, "x") == spate::log_level::info);
  CHECK(spate::kafka::detail::log_level_of(3, "Failed to acquire transactional PID from broker: retrying") ==
        spate::log_level::debug);
  CHECK(spate::kafka::detail::log_level_of(
            4, "Failed to acquire idempotence PID from broker 127.0.0.1:1/1: Broker: Coordinator load in progress: retrying") ==
        spate::log_level::debug);
}
