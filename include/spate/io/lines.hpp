#pragma once
// Splitting a byte stream into lines, for the socket, stdin and directory
// sources: newline-delimited, a trailing '\r' removed, with explicit policies
// for lines longer than a cap and for invalid UTF-8. Nothing is dropped
// silently: skipped lines are counted in line_stats.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace spate {

/// What to do with a line that breaks a rule.
enum class bad_line { fail, skip };

struct line_options {
  std::size_t max_line = std::size_t(1) << 20;  ///< bytes, without the newline
  bad_line too_long = bad_line::fail;
  bad_line invalid_utf8 = bad_line::fail;
};

/// Counters a line source keeps; shared by every copy of its descriptor.
struct line_stats {
  std::atomic<std::uint64_t> lines{0};
  std::atomic<std::uint64_t> skipped_too_long{0};
  std::atomic<std::uint64_t> skipped_invalid_utf8{0};
  std::atomic<std::uint64_t> partial_lines_dropped{0};  ///< cut by a dropped connection
  std::atomic<std::uint64_t> reconnects{0};
};

namespace detail {

/// True when s is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF).
inline bool valid_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* e = p + s.size();
  while (p < e) {
    unsigned c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c == 0xE0) n = 2, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) n = 2;
    else if (c == 0xED) n = 2, hi = 0x9F;
    else if (c >= 0xEE && c <= 0xEF) n = 2;
    else if (c == 0xF0) n = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 3;
    else if (c == 0xF4) n = 3, hi = 0x8F;
    else return false;
    if (e - p <= n) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int i = 2; i <= n; ++i)
      if ((p[i] & 0xC0) != 0x80) return false;
    p += n + 1;
  }
  return true;
}

/// Bytes in, lines out. `where` names the source in error messages.
class line_splitter {
 public:
  line_splitter() = default;
  line_splitter(line_options opt, line_stats* stats, std::string where)
      : opt_(opt), stats_(stats), where_(std::move(where)) {}

  /// Appends received bytes.
  void append(const char* p, std::size_t n) {
    if (pos_ > 0 && pos_ == buf_.size()) {
      buf_.clear();
      pos_ = scan_ = 0;
    } else if (pos_ > (std::size_t(1) << 16) && pos_ * 2 > buf_.size()) {
      buf_.erase(0, pos_);
      scan_ -= pos_;
      pos_ = 0;
    }
    buf_.append(p, n);
  }
  /// The next complete line that passes the policies, if any; valid until the
  /// next call.
  std::optional<std::string_view> next() {
    for (;;) {
      const char* b = buf_.data();
      const void* nl = scan_ < buf_.size() ? std::memchr(b + scan_, '\n', buf_.size() - scan_) : nullptr;
      if (!nl) {
        scan_ = buf_.size();
        if (!discarding_ && buf_.size() - pos_ > opt_.max_line) {
          reject_long();
          discarding_ = true;  // until the next newline
        }
        if (discarding_) pos_ = scan_ = buf_.size();
        return std::nullopt;
      }
      std::size_t end = static_cast<std::size_t>(static_cast<const char*>(nl) - b);
      std::size_t start = pos_;
      pos_ = scan_ = end + 1;
      if (discarding_) {
        discarding_ = false;
        continue;
      }
      std::size_t len = end - start;
      if (len && b[start + len - 1] == '\r') --len;
      std::string_view line(b + start, len);
      if (len > opt_.max_line) {
        reject_long();
        continue;
      }
      if (check(line)) return line;
    }
  }
  /// At a clean end of input: the last line, when it had no newline.
  std::optional<std::string_view> finish() {
    if (discarding_ || pos_ >= buf_.size()) return std::nullopt;
    std::string_view line(buf_.data() + pos_, buf_.size() - pos_);
    pos_ = scan_ = buf_.size();
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (check(line)) return line;
    return std::nullopt;
  }
  /// At a dropped connection: forget an incomplete line (counted).
  void drop_partial() {
    if (pos_ < buf_.size() && !discarding_ && stats_) ++stats_->partial_lines_dropped;
    buf_.clear();
    pos_ = scan_ = 0;
    discarding_ = false;
  }

 private:
  void reject_long() {
    if (opt_.too_long == bad_line::fail)
      throw std::runtime_error(where_ + ": a line is longer than " + std::to_string(opt_.max_line) +
                               " bytes (line_options::max_line; or skip such lines with too_long = bad_line::skip)");
    if (stats_) ++stats_->skipped_too_long;
  }
  bool check(std::string_view line) {
    if (!valid_utf8(line)) {
      if (opt_.invalid_utf8 == bad_line::fail)
        throw std::runtime_error(where_ + ": a line is not valid UTF-8 (or skip such lines with invalid_utf8 = bad_line::skip)");
      if (stats_) ++stats_->skipped_invalid_utf8;
      return false;
    }
    if (stats_) stats_->lines.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  line_options opt_;
  line_stats* stats_ = nullptr;
  std::string where_;
  std::string buf_;
  std::size_t pos_ = 0, scan_ = 0;
  bool discarding_ = false;
};

}  // namespace detail
}  // namespace spate
