#pragma once
// One logger for the library and what it embeds (librdkafka's log lines go
// through it, io/kafka/config.hpp): levels and a sink the user sets.
//   spate::set_log_level(spate::log_level::warn);
//   spate::set_log_sink([](const spate::log_record& r) { my_log(r.level, r.component, r.message); });
// The default sink writes "spate: <component>: <message>" lines on stderr.
// spdlog users: spate/observe/spdlog_sink.hpp routes records to a spdlog
// logger (this header does not need spdlog).
#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace spate {

enum class log_level : int { trace, debug, info, warn, error, off };

inline std::string_view level_name(log_level l) {
  switch (l) {
    case log_level::trace: return "trace";
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warn: return "warn";
    case log_level::error: return "error";
    case log_level::off: return "off";
  }
  return "?";
}

struct log_record {
  log_level level = log_level::info;
  std::string_view component;  ///< "kafka", "checkpoint", "context", ...
  std::string_view message;
};
using log_sink = std::function<void(const log_record&)>;

/// "spate: kafka: message" on stderr (one write per line).
inline void stderr_log_sink(const log_record& r) {
  std::string line = "spate: ";
  if (!r.component.empty()) {
    line += r.component;
    line += ": ";
  }
  if (r.level >= log_level::warn) {
    line += level_name(r.level);
    line += ": ";
  }
  line += r.message;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

class logger {
 public:
  static logger& global() {
    static logger l;
    return l;
  }
  void set_level(log_level l) noexcept { level_.store(static_cast<int>(l), std::memory_order_relaxed); }
  log_level level() const noexcept { return static_cast<log_level>(level_.load(std::memory_order_relaxed)); }
  bool enabled(log_level l) const noexcept { return l != log_level::off && static_cast<int>(l) >= level_.load(std::memory_order_relaxed); }
  /// Null restores the default (stderr).
  void set_sink(log_sink s) {
    std::lock_guard lock(m_);
    sink_ = s ? std::make_shared<log_sink>(std::move(s)) : nullptr;
  }
  void log(log_level l, std::string_view component, std::string_view message) {
    if (!enabled(l)) return;
    std::shared_ptr<log_sink> s;
    {
      std::lock_guard lock(m_);
      s = sink_;
    }
    const log_record r{l, component, message};
    if (s)
      (*s)(r);
    else
      stderr_log_sink(r);
  }

 private:
  std::atomic<int> level_{static_cast<int>(log_level::info)};
  std::mutex m_;
  std::shared_ptr<log_sink> sink_;
};

inline void set_log_level(log_level l) noexcept { logger::global().set_level(l); }
inline void set_log_sink(log_sink s) { logger::global().set_sink(std::move(s)); }
inline void log(log_level l, std::string_view component, std::string_view message) {
  logger::global().log(l, component, message);
}

}  // namespace spate
