// spate's log through spdlog (observe/spdlog_sink.hpp).
#include <catch2/catch.hpp>

#include <spate/observe/spdlog_sink.hpp>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

TEST_CASE("log: records reach a spdlog logger") {
  std::ostringstream os;
  // [doc:spdlog]
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(os);
  auto logger = std::make_shared<spdlog::logger>("spate", sink);
  logger->set_pattern("%l %v");
  spate::observe::log_to_spdlog(logger);
  // [end]
  spate::log(spate::log_level::warn, "kafka", "a broker went away");
  spate::set_log_sink(nullptr);
  logger->flush();
  CHECK(os.str() == "warning [kafka] a broker went away\n");
}
