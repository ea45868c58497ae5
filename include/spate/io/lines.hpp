#pragma once
// Splitting a byte stream into lines, for every line source (text_file,
// socket_text, stdin_lines / fd_lines, text_files_in): newline-delimited, one
// '\r' before the '\n' removed, with explicit policies for lines longer than
// a cap and for invalid UTF-8. Nothing is dropped silently: skipped lines are
// counted in line_stats. How the bytes arrive (TCP segments, read sizes)
// never changes the lines that come out.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace spate {

/// What to do with a line that breaks a rule.
enum class bad_line { fail, skip };

struct line_options {
  std::size_t max_line = std::size_t(1) << 20;  ///< bytes, without the newline (and its '\r')
  bad_line too_long = bad_line::fail;
  bad_line invalid_utf8 = bad_line::fail;
};

/// Counters a line source keeps; shared by every copy of its descriptor.
/// `lines` is brought up to date whenever the source has no further complete
/// line buffered (at least once per read from the input).
struct line_stats {
  std::atomic<std::uint64_t> lines{0};                  ///< lines that passed the policies
  std::atomic<std::uint64_t> skipped_too_long{0};
  std::atomic<std::uint64_t> skipped_invalid_utf8{0};
  std::atomic<std::uint64_t> partial_lines_dropped{0};  ///< cut by a reset or dropped connection, or an unreadable file
  std::atomic<std::uint64_t> reconnects{0};             ///< socket_text
  std::atomic<std::uint64_t> resets{0};                 ///< socket_text: connections ended by an error, not a clean close
};

namespace detail {

/// The index of the first byte of s that is not part of well-formed UTF-8
/// (no overlongs, surrogates or > U+10FFFF), or npos when s is valid.
inline std::size_t utf8_error_at(std::string_view s) noexcept {
  const auto* const begin = reinterpret_cast<const unsigned char*>(s.data());
  const auto* p = begin;
  const auto* e = p + s.size();
  while (p < e) {
    // ASCII, eight bytes at a time.
    while (e - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if (w & 0x8080808080808080ull) break;
      p += 8;
    }
    if (p == e) break;
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
    else return static_cast<std::size_t>(p - begin);
    if (e - p <= n) return static_cast<std::size_t>(p - begin);
    if (p[1] < lo || p[1] > hi) return static_cast<std::size_t>(p - begin);
    for (int i = 2; i <= n; ++i)
      if ((p[i] & 0xC0) != 0x80) return static_cast<std::size_t>(p - begin);
    p += n + 1;
  }
  return std::string_view::npos;
}

/// True when s is well-formed UTF-8.
inline bool valid_utf8(std::string_view s) noexcept { return utf8_error_at(s) == std::string_view::npos; }

/// Bytes in, lines out; the one line mechanism of every line source.
/// `where` names the source in error messages, which also give the line's
/// number and the byte offset where it starts.
///
/// Memory: the buffer holds at most one line in progress (max_line + 1
/// bytes: a line of max_line bytes and the '\r' of a CRLF whose '\n' has not
/// come yet) plus one read; a longer line is rejected as soon as it is longer
/// and then discarded as it arrives, never held.
class line_splitter {
 public:
  static constexpr std::size_t read_size = std::size_t(1) << 16;  ///< bytes asked for by fill()

  line_splitter() = default;
  line_splitter(line_options opt, std::shared_ptr<line_stats> stats, std::string where)
      : opt_(opt), stats_(std::move(stats)), where_(std::move(where)) {}
  line_splitter(line_splitter&& o) noexcept { *this = std::move(o); }
  line_splitter& operator=(line_splitter&& o) noexcept {
    if (this != &o) {
      publish();
      opt_ = o.opt_;
      stats_ = std::move(o.stats_);
      where_ = std::move(o.where_);
      buf_ = std::move(o.buf_);
      cap_ = std::exchange(o.cap_, 0);
      size_ = std::exchange(o.size_, 0);
      pos_ = std::exchange(o.pos_, 0);
      scan_ = std::exchange(o.scan_, 0);
      base_ = o.base_;
      line_no_ = o.line_no_;
      numbered_ = o.numbered_;
      stop_at_ = o.stop_at_;
      discarding_ = o.discarding_;
      unpublished_ = std::exchange(o.unpublished_, 0);
    }
    return *this;
  }
  ~line_splitter() { publish(); }

  /// Starts a new input (the next file, a new connection), keeping the
  /// buffer's memory: what was buffered is forgotten, uncounted.
  void restart(std::string where) {
    publish();
    where_ = std::move(where);
    size_ = pos_ = scan_ = 0;
    base_ = 0;
    line_no_ = 1;
    numbered_ = true;
    stop_at_ = std::numeric_limits<std::uint64_t>::max();
    discarding_ = false;
  }

  /// For a reader that starts in the middle of an input (a shard of a file):
  /// the first byte appended is at `offset`, and everything up to and
  /// including the first '\n' is not ours (uncounted). Line numbers are then
  /// unknown; errors give byte offsets only.
  void start_after_first_newline(std::uint64_t offset) {
    base_ = offset;
    numbered_ = false;
    discarding_ = true;
  }
  /// Lines that start at or after this offset are not ours: next() and
  /// finish() stop before them (and stopped() says so).
  void stop_at(std::uint64_t offset) { stop_at_ = offset; }
  bool stopped() const noexcept { return !discarding_ && base_ + pos_ >= stop_at_; }

  /// Offset just past the last byte received: the bytes read so far, plus
  /// the starting offset.
  std::uint64_t offset() const noexcept { return base_ + size_; }

  /// Where the next line starts, its number (0: unknown), and whether a
  /// first partial line is still being skipped (then nothing is consumed).
  struct resume_point {
    std::uint64_t offset = 0, line = 0;
    bool skipping = false;
  };
  resume_point next_line() const noexcept { return {base_ + pos_, numbered_ ? line_no_ : 0, discarding_}; }
  /// Continues at a resume point of an earlier reader of the same input
  /// (a checkpoint): the next byte appended is at `p.offset`.
  void resume_at(const resume_point& p) {
    size_ = pos_ = scan_ = 0;
    base_ = p.offset;
    line_no_ = p.line ? p.line : 1;
    numbered_ = p.line != 0;
    discarding_ = false;
  }

  /// Bytes of buffer held (for the tests of the memory bound).
  std::size_t capacity() const noexcept { return cap_; }

  /// Appends received bytes.
  void append(const char* p, std::size_t n) {
    reserve_tail(n);
    std::memcpy(buf_.get() + size_, p, n);
    size_ += n;
  }
  /// Reads into the buffer: read(dst, capacity) returns the bytes it wrote
  /// (0 at the end of the input, negative on an error, as read(2) does),
  /// which fill returns.
  template <class Read>
  auto fill(Read&& read) {
    publish();
    reserve_tail(read_size);
    auto got = read(buf_.get() + size_, read_size);
    if (got > 0) size_ += static_cast<std::size_t>(got);
    return got;
  }

  /// The next complete line that passes the policies, if any; valid until the
  /// next call.
  std::optional<std::string_view> next() {
    for (;;) {
      if (stopped()) return none();
      const char* b = buf_.get();
      const void* nl = scan_ < size_ ? std::memchr(b + scan_, '\n', size_ - scan_) : nullptr;
      if (!nl) {
        scan_ = size_;
        if (!discarding_) {
          std::size_t pending = size_ - pos_;
          // A last '\r' may be the first half of a CRLF: not part of the line.
          if (pending && b[size_ - 1] == '\r') --pending;
          if (pending > opt_.max_line) {
            reject_long(pos_);
            discarding_ = true;  // until the next newline
          }
        }
        if (discarding_) {  // nothing of this line is kept
          base_ += size_;
          size_ = pos_ = scan_ = 0;
        }
        return none();
      }
      std::size_t end = static_cast<std::size_t>(static_cast<const char*>(nl) - b);
      std::size_t start = pos_;
      pos_ = scan_ = end + 1;
      if (discarding_) {
        discarding_ = false;
        ++line_no_;
        continue;
      }
      if (auto line = take(start, end)) return line;
    }
  }
  /// At a clean end of input: the last line, when it had no newline.
  std::optional<std::string_view> finish() {
    if (discarding_ || pos_ >= size_ || stopped()) return none();
    std::size_t start = pos_;
    pos_ = scan_ = size_;
    auto line = take(start, size_);
    publish();
    return line;
  }
  /// At a cut input (a reset or dropped connection, an unreadable file):
  /// forget an incomplete line (counted) and start again at offset 0.
  void drop_partial() {
    if (pos_ < size_ && !discarding_ && stats_) ++stats_->partial_lines_dropped;
    restart(std::move(where_));
  }

 private:
  /// The line [start, end) of the buffer, without a trailing '\r', if it
  /// passes the policies.
  std::optional<std::string_view> take(std::size_t start, std::size_t end) {
    const std::uint64_t number = line_no_++;
    std::size_t len = end - start;
    if (len && buf_[start + len - 1] == '\r') --len;
    std::string_view line(buf_.get() + start, len);
    if (len > opt_.max_line) {
      reject_long(start, number);
      return std::nullopt;
    }
    if (std::size_t bad = utf8_error_at(line); bad != std::string_view::npos) {
      if (opt_.invalid_utf8 == bad_line::fail)
        throw std::runtime_error(where_ + ": " + describe(start, number) + " is not valid UTF-8 (at byte " +
                                 std::to_string(base_ + start + bad) +
                                 "; or skip such lines with invalid_utf8 = bad_line::skip)");
      if (stats_) ++stats_->skipped_invalid_utf8;
      return std::nullopt;
    }
    ++unpublished_;
    return line;
  }
  void reject_long(std::size_t start) { reject_long(start, line_no_); }
  void reject_long(std::size_t start, std::uint64_t number) {
    if (opt_.too_long == bad_line::fail)
      throw std::runtime_error(where_ + ": " + describe(start, number) + " is longer than " +
                               std::to_string(opt_.max_line) +
                               " bytes (line_options::max_line; or skip such lines with too_long = bad_line::skip)");
    if (stats_) ++stats_->skipped_too_long;
  }
  std::string describe(std::size_t start, std::uint64_t number) const {
    std::string at = std::to_string(base_ + start);
    return numbered_ ? "line " + std::to_string(number) + " (byte " + at + ")" : "the line at byte " + at;
  }
  /// No line now: the counters catch up.
  std::optional<std::string_view> none() noexcept {
    publish();
    return std::nullopt;
  }
  void publish() noexcept {
    if (unpublished_ && stats_) stats_->lines.fetch_add(unpublished_, std::memory_order_relaxed);
    unpublished_ = 0;
  }
  /// Room for n more bytes at the end: the consumed front is moved out
  /// first; growth stops at what one line in progress and one read need.
  void reserve_tail(std::size_t n) {
    if (cap_ - size_ >= n) return;
    if (pos_ > 0) {
      std::memmove(buf_.get(), buf_.get() + pos_, size_ - pos_);
      size_ -= pos_;
      scan_ -= pos_;
      base_ += pos_;
      pos_ = 0;
      if (cap_ - size_ >= n) return;
    }
    const std::size_t need = size_ + n;
    const std::size_t most = opt_.max_line > std::numeric_limits<std::size_t>::max() / 2
                                 ? std::numeric_limits<std::size_t>::max()
                                 : opt_.max_line + 1 + std::max(n, read_size);
    // Doubling, but straight to the most once half of it is passed: a last
    // step from just under the most to the most would hold both copies.
    std::size_t cap = std::max(cap_ * 2, 2 * read_size);
    if (cap > most / 2) cap = most;
    cap = std::max(cap, need);
    std::unique_ptr<char[]> bigger(new char[cap]);
    if (size_) std::memcpy(bigger.get(), buf_.get(), size_);
    buf_ = std::move(bigger);
    cap_ = cap;
  }

  line_options opt_;
  std::shared_ptr<line_stats> stats_;  // shared: the counters outlive the source descriptor if need be
  std::string where_;
  std::unique_ptr<char[]> buf_;
  std::size_t cap_ = 0, size_ = 0;
  std::size_t pos_ = 0;   // start of the next line in buf_
  std::size_t scan_ = 0;  // buf_[pos_, scan_) has no '\n'
  std::uint64_t base_ = 0;     // input offset of buf_[0]
  std::uint64_t line_no_ = 1;  // number of the line that starts at pos_
  bool numbered_ = true;       // line numbers are known (the input was read from its start)
  std::uint64_t stop_at_ = std::numeric_limits<std::uint64_t>::max();
  bool discarding_ = false;    // inside a rejected (or not our) line, until its '\n'
  std::uint64_t unpublished_ = 0;  // lines passed, not yet added to stats_->lines
};

}  // namespace detail
}  // namespace spate
