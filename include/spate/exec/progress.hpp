#pragma once
// One progress line on stderr for bounded work: records read, the rate and,
// where the input's size is known (files), bytes, percentage and time left:
//   spate: 412.0 MB of 1.0 GB (40%), 8.21M records, 96.3 MB/s, 0:06 left
// Shown when stderr is a terminal and the work is bounded (run_batch with a
// parallelism, or sources of known size); never otherwise, or with
// progress_line{.show = progress_line::when::never}. A context option.
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "stage_metrics.hpp"

namespace spate {

struct progress_line {
  enum class when { automatic, always, never };
  when show = when::automatic;
  std::FILE* to = nullptr;  ///< stderr when null
  std::chrono::milliseconds every{250};
};

namespace exec {

inline std::string human_bytes(double b) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) {
    b /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}
inline std::string human_count(double n) {
  char buf[32];
  if (n >= 1e9) std::snprintf(buf, sizeof buf, "%.2fG", n / 1e9);
  else if (n >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM", n / 1e6);
  else if (n >= 1e3) std::snprintf(buf, sizeof buf, "%.1fk", n / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", n);
  return buf;
}
inline std::string clock_text(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  return buf;
}

/// The line for `records` and `bytes` of `total` (0: unknown) after `seconds`.
inline std::string progress_text(std::uint64_t records, std::uint64_t bytes, std::uint64_t total, double seconds,
                                 bool done) {
  std::string line = "spate: ";
  if (total > 0) {
    const double pct = 100.0 * static_cast<double>(std::min(bytes, total)) / static_cast<double>(total);
    line += human_bytes(static_cast<double>(bytes)) + " of " + human_bytes(static_cast<double>(total)) + " (" +
            std::to_string(static_cast<int>(done ? 100 : pct)) + "%), ";
  }
  line += human_count(static_cast<double>(records)) + " records";
  if (seconds > 0) {
    if (total > 0)
      line += ", " + human_bytes(static_cast<double>(bytes) / seconds) + "/s";
    else
      line += ", " + human_count(static_cast<double>(records) / seconds) + "/s";
  }
  if (done)
    line += ", " + clock_text(seconds);
  else if (total > 0 && bytes > 0 && bytes < total)
    line += ", " + clock_text(seconds * static_cast<double>(total - bytes) / static_cast<double>(bytes)) + " left";
  return line;
}

/// Whether a progress line as asked may show at all: never shows nothing,
/// automatic only on a terminal (one isatty call).
inline bool progress_may_show(const progress_line& o) {
  if (o.show == progress_line::when::never) return false;
  if (o.show == progress_line::when::always) return true;
  return ::isatty(::fileno(o.to ? o.to : stderr)) == 1;
}

/// Prints the line from its own thread until finish().
class progress_reporter {
 public:
  progress_reporter(const stage_registry& reg, progress_line o, bool bounded)
      : reg_(&reg), o_(o), to_(o.to ? o.to : stderr), bounded_(bounded) {
    terminal_ = ::isatty(::fileno(to_)) == 1;
    if (o_.show == progress_line::when::never) return;
    if (o_.show == progress_line::when::automatic && !terminal_) return;
    active_ = true;
    start_ = std::chrono::steady_clock::now();
    thread_ = std::thread([this] { loop(); });
  }
  progress_reporter(const progress_reporter&) = delete;
  progress_reporter& operator=(const progress_reporter&) = delete;
  ~progress_reporter() { finish(); }

  /// The last line, then a newline (once; no-op when nothing was shown).
  void finish() {
    if (!stop_thread()) return;
    if (shown_ || o_.show == progress_line::when::always) print(true);
    if (terminal_ && shown_) std::fputc('\n', to_);
    std::fflush(to_);
  }
  /// Stops the line where it stands (the work failed): no finished line,
  /// a newline after what a terminal shows.
  void abandon() {
    if (!stop_thread()) return;
    if (terminal_ && shown_) std::fputc('\n', to_);
    std::fflush(to_);
  }

 private:
  // Ends the printing thread; false when it never ran or was ended before.
  bool stop_thread() {
    {
      std::lock_guard lock(m_);
      if (!active_ || finished_) return false;
      finished_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return true;
  }
  void loop() {
    std::unique_lock lock(m_);
    while (!cv_.wait_for(lock, o_.every, [&] { return finished_; })) {
      lock.unlock();
      print(false);
      lock.lock();
    }
  }
  void print(bool done) {
    std::uint64_t records = 0, bytes = 0, total = 0;
    for (const auto& r : reg_->read())
      if (r.position == 0) {
        records += r.in;
        bytes += r.bytes_read;
        total += r.bytes_total;
      }
    // Automatic: only for bounded work (a known size, or a bounded run).
    if (o_.show == progress_line::when::automatic && !bounded_ && total == 0) return;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::string line = progress_text(records, bytes, total, s, done);
    if (terminal_)
      std::fprintf(to_, "\r%s\x1b[K", line.c_str());
    else if (done)
      std::fprintf(to_, "%s\n", line.c_str());
    std::fflush(to_);
    shown_ = true;
  }

  const stage_registry* reg_;
  progress_line o_;
  std::FILE* to_;
  bool bounded_ = false, terminal_ = false, active_ = false, finished_ = false, shown_ = false;
  std::chrono::steady_clock::time_point start_;
  std::mutex m_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace exec
}  // namespace spate
