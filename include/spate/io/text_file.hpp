#pragma once
// Text files, line by line.
//   text_file(path)        a source of lines (std::string, without the '\n' or
//                          "\r\n"), split by the same line mechanism as the
//                          other line sources (lines.hpp): streamed through one
//                          reused buffer, so a file of any size runs in
//                          memory bounded by the longest line allowed.
//   text_file(path, {.max_line = 1 << 20, .invalid_utf8 = bad_line::skip})
//                          line policies (line_options); the defaults are
//                          text_file_lines: lines up to 16 MiB, a longer line
//                          or invalid UTF-8 fails the job. Skips are counted
//                          in stats().
//                          With P shards the file is cut into P byte ranges; a
//                          line belongs to the shard where it starts.
//   write_text_file(path)  a sink writing each record as a line of text.
// Errors (missing file, read or write failure, a line breaking a policy)
// throw std::runtime_error naming the file and the byte offset (and the line
// number when known); nothing is skipped silently.
//
// A file that shrinks while it is read (truncated, or rewritten in place) is
// an error naming the file, its size at open and where its end was found; the
// line the truncation cut is not emitted. A file that grows while it is read
// is read by the last shard up to wherever its end is when the reader gets
// there: later appends are not read, and a line the writer had not finished
// then comes out as it stands (it cannot be told from a last line without a
// newline). Read complete files: write under another name and rename, or
// watch a directory with text_files_in.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string_view>
#include <sys/types.h>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "../core/format.hpp"
#include "../exec/barriers.hpp"
#include "lines.hpp"
#include "source.hpp"

namespace spate {

namespace detail {
struct file_closer {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

inline std::string file_error_message(const char* what, const std::string& path, long long offset, int err) {
  std::string msg = std::string(what) + " '" + path + "'";
  if (offset >= 0) msg += " at byte " + std::to_string(offset);
  if (err) msg += std::string(": ") + std::strerror(err);
  return msg;
}
[[noreturn]] inline void throw_file_error(const char* what, const std::string& path, long long offset, int err) {
  throw std::runtime_error(file_error_message(what, path, offset, err));
}
}  // namespace detail

namespace detail {
/// Non-empty when the file open as f (size_at_open bytes when it was opened)
/// shrank while it was read: the reader found its end at byte `end`.
inline std::string truncation_error(const char* who, const std::string& path, std::FILE* f, long long size_at_open,
                                    long long end) {
  struct stat st {};
  const bool now_known = ::fstat(fileno(f), &st) == 0;
  if (end >= size_at_open && !(now_known && st.st_size < end)) return {};
  std::string msg = std::string(who) + ": '" + path + "' was truncated while being read: " +
                    std::to_string(size_at_open) + " bytes at open, end of file at byte " + std::to_string(end);
  if (now_known) msg += " (now " + std::to_string(st.st_size) + " bytes)";
  return msg;
}
}  // namespace detail

/// text_file's default line policies: lines up to 16 MiB (longer than the
/// 1 MiB the network sources allow, as files often hold long records); a
/// longer line or invalid UTF-8 fails the job.
inline constexpr line_options text_file_lines{.max_line = std::size_t(16) << 20};

struct text_file_source : source_tag {
  std::string path;
  line_options lines = text_file_lines;
  std::shared_ptr<line_stats> counters = std::make_shared<line_stats>();
  static constexpr const char* name = "text_file";
  using value_type = std::string;

  /// Counters shared by every copy of this source and by all its shards.
  const line_stats& stats() const { return *counters; }

  template <class Down>
  struct driver : driver_base<driver<Down>, Down> {
    detail::file_ptr file;
    std::string path;
    long long size_at_open = 0;
    detail::line_splitter lines;
    std::string line;

    /// The position for a checkpoint: where the next line starts, and its number.
    void position(std::string& out) const {
      auto p = lines.next_line();
      if (p.skipping) return;  // nothing of this shard consumed yet
      out = std::to_string(p.offset) + " " + std::to_string(p.line);
    }

    poll_result poll(std::size_t max) {
      if (this->done) return {0, poll_status::ended};
      std::size_t n = 0;
      while (n < max) {
        if (auto l = lines.next()) {
          line.assign(*l);
          ++n;
          if (!this->down->push(std::as_const(line))) return this->finish(n, true);
          continue;
        }
        if (lines.stopped()) return this->finish(n, false);  // the next line is the next shard's
        errno = 0;
        std::size_t got = lines.fill([&](char* dst, std::size_t cap) { return std::fread(dst, 1, cap, file.get()); });
        if (got > 0) continue;
        const int err = errno;
        const auto end = static_cast<long long>(lines.offset());
        if (std::ferror(file.get())) detail::throw_file_error("text_file: cannot read", path, end, err);
        if (auto e = detail::truncation_error("text_file", path, file.get(), size_at_open, end); !e.empty())
          throw std::runtime_error(e);
        if (auto l = lines.finish()) {
          line.assign(*l);
          ++n;
          if (!this->down->push(std::as_const(line))) return this->finish(n, true);
        }
        return this->finish(n, false);
      }
      return {n, poll_status::more};
    }
  };

  /// Shard `sh` resumed at the line a checkpoint saved (the same
  /// parallelism; the file must not have changed before that point).
  template <class Env, class Down>
  auto open_at(Env& env, shard sh, Down& down, const exec::restored_input& at) const {
    auto d = open(env, sh, down);
    if (at.count != sh.count)
      throw std::runtime_error("text_file '" + path + "': checkpointed as " + std::to_string(at.count) +
                               " shards, cannot resume as " + std::to_string(sh.count));
    std::string_view v = at.shards[sh.index];
    if (v.empty()) return d;  // the shard had consumed nothing
    auto sp = v.find(' ');
    detail::line_splitter::resume_point p{std::stoull(std::string(v.substr(0, sp))),
                                          std::stoull(std::string(v.substr(sp + 1))), false};
    if (static_cast<long long>(p.offset) > d.size_at_open)
      throw std::runtime_error("text_file '" + path + "': the checkpoint resumes at byte " + std::to_string(p.offset) +
                               " but the file has " + std::to_string(d.size_at_open) + " bytes now");
    if (::fseeko(d.file.get(), static_cast<off_t>(p.offset), SEEK_SET) != 0)
      detail::throw_file_error("text_file: cannot seek", path, static_cast<long long>(p.offset), errno);
    d.lines.resume_at(p);
    return d;
  }

  template <class Env, class Down>
  auto open(Env&, shard sh, Down& down) const {
    detail::file_ptr f(std::fopen(path.c_str(), "rb"));
    if (!f) detail::throw_file_error("text_file: cannot open", path, -1, errno);
    std::setvbuf(f.get(), nullptr, _IONBF, 0);  // reads go straight into the line buffer
    struct stat st {};
    if (::fstat(fileno(f.get()), &st) != 0) detail::throw_file_error("text_file: cannot stat", path, -1, errno);
    long long size = st.st_size;
    long long lo = size * static_cast<long long>(sh.index) / static_cast<long long>(sh.count);
    long long hi = size * static_cast<long long>(sh.index + 1) / static_cast<long long>(sh.count);
    detail::line_splitter lines(this->lines, counters, "text_file '" + path + "'");
    if (sh.index + 1 < sh.count) lines.stop_at(static_cast<std::uint64_t>(hi));  // the last shard reads to the end
    if (lo > 0) {
      // Our first line is the first one starting at or after lo: skip the rest
      // of the line that covers byte lo - 1.
      if (::fseeko(f.get(), lo - 1, SEEK_SET) != 0) detail::throw_file_error("text_file: cannot seek", path, lo - 1, errno);
      lines.start_after_first_newline(static_cast<std::uint64_t>(lo - 1));
    }
    return driver<Down>{{&down}, std::move(f), path, size, std::move(lines), {}};
  }
};

/// Lines of the file at path, split by the line policies (see the top of
/// this file).
inline text_file_source text_file(std::string path, line_options lines = text_file_lines) {
  return text_file_source{{}, std::move(path), lines};
}

struct text_file_sink : sink_tag {
  std::string path;
  static constexpr const char* name = "write_text_file";

  template <class Flow>
  static constexpr bool check() {
    return text_sink_accepts<"write_text_file", Flow>();
  }
  struct built : sink_control {
    std::shared_ptr<std::FILE> file;
    std::string path;
    std::string text;
    long long written = 0;
    template <class R>
    bool push(const R& r) {
      if constexpr (std::is_convertible_v<const R&, std::string_view>) {
        write(std::string_view(r));
      } else {
        text = to_text(r);
        write(text);
      }
      write("\n");
      return true;
    }
    void write(std::string_view s) {
      if (std::fwrite(s.data(), 1, s.size(), file.get()) != s.size())
        detail::throw_file_error("write_text_file: cannot write", path, written, errno);
      written += static_cast<long long>(s.size());
    }
    void flush() {
      if (std::fflush(file.get()) != 0) detail::throw_file_error("write_text_file: cannot flush", path, written, errno);
    }
    void on_batch_end(const batch_info&) { flush(); }
    void on_end() { flush(); }
  };
  template <class Flow, class Env>
  built build(Env&, stage_label) const {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) detail::throw_file_error("write_text_file: cannot open", path, -1, errno);
    return built{{}, std::shared_ptr<std::FILE>(f, detail::file_closer{}), path, {}, 0};
  }
};

/// Writes each record as a line of text to the file at path (truncated first).
inline text_file_sink write_text_file(std::string path) { return text_file_sink{{}, std::move(path)}; }

}  // namespace spate
