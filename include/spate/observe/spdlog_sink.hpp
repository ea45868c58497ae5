#pragma once
// Routes spate's log (core/log.hpp) to a spdlog logger:
//   spate::observe::log_to_spdlog(spdlog::default_logger());
// Needs spdlog (Debian: libspdlog-dev; CMake: find_package(spdlog), link
// spdlog::spdlog); include it only where you use it.
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "../core/log.hpp"

namespace spate::observe {

inline spdlog::level::level_enum to_spdlog(log_level l) {
  switch (l) {
    case log_level::trace: return spdlog::level::trace;
    case log_level::debug: return spdlog::level::debug;
    case log_level::info: return spdlog::level::info;
    case log_level::warn: return spdlog::level::warn;
    case log_level::error: return spdlog::level::err;
    case log_level::off: return spdlog::level::off;
  }
  return spdlog::level::info;
}

/// Every record of spate's logger to `to`, as "[component] message".
inline void log_to_spdlog(std::shared_ptr<spdlog::logger> to) {
  set_log_sink([to = std::move(to)](const log_record& r) {
    to->log(to_spdlog(r.level), "[{}] {}", std::string(r.component), std::string(r.message));
  });
}

}  // namespace spate::observe
