// The logger: levels, a user's sink, the default on stderr; spdlog through
// its adapter when spdlog is there (log_spdlog.cpp).
#include <catch2/catch.hpp>

#include <spate/core/log.hpp>

#include <mutex>
#include <string>
#include <vector>

TEST_CASE("log: a user's sink receives records at or above the level") {
  // [doc:log-sink]
  std::vector<std::string> lines;
  std::mutex m;
  spate::set_log_sink([&](const spate::log_record& r) {
    std::lock_guard lock(m);  // records come from any thread
    lines.push_back(std::string(spate::level_name(r.level)) + " " + std::string(r.component) + ": " +
                    std::string(r.message));
  });
  spate::set_log_level(spate::log_level::warn);  // drop info and below
  // [end]
  spate::log(spate::log_level::info, "context", "not shown");
  spate::log(spate::log_level::warn, "kafka", "shown");
  spate::log(spate::log_level::error, "checkpoint", "also shown");
  spate::set_log_sink(nullptr);
  spate::set_log_level(spate::log_level::info);
  CHECK(lines == std::vector<std::string>{"warn kafka: shown", "error checkpoint: also shown"});
  CHECK_FALSE(spate::logger::global().enabled(spate::log_level::debug));
  CHECK(spate::logger::global().enabled(spate::log_level::info));
  CHECK_FALSE(spate::logger::global().enabled(spate::log_level::off));
}
