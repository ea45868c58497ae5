#pragma once
// Text files, line by line.
//   text_file(path)        a source of lines (std::string, without the '\n' or
//                          "\r\n"); streamed through one reused buffer, so a
//                          file of any size runs in constant memory. With P
//                          shards the file is cut into P byte ranges; a line
//                          belongs to the shard where it starts.
//   write_text_file(path)  a sink writing each record as a line of text.
// Errors (missing file, read or write failure) throw std::runtime_error naming
// the file and the byte offset; nothing is skipped silently.
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
#include "source.hpp"

namespace spate {

namespace detail {
struct file_closer {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;
struct free_deleter {
  void operator()(char* p) const noexcept { std::free(p); }
};

[[noreturn]] inline void throw_file_error(const char* what, const std::string& path, long long offset, int err) {
  std::string msg = std::string(what) + " '" + path + "'";
  if (offset >= 0) msg += " at byte " + std::to_string(offset);
  if (err) msg += std::string(": ") + std::strerror(err);
  throw std::runtime_error(msg);
}
}  // namespace detail

struct text_file_source : source_tag {
  std::string path;
  static constexpr const char* name = "text_file";
  using value_type = std::string;

  template <class Down>
  struct driver : driver_base<driver<Down>, Down> {
    detail::file_ptr file;
    std::string path;
    long long pos;    // offset of the next line
    long long limit;  // lines starting at or after this belong to the next shard
    std::unique_ptr<char, detail::free_deleter> buf;
    std::size_t cap = 0;
    std::string line;

    poll_result poll(std::size_t max) {
      if (this->done) return {0, poll_status::ended};
      std::size_t n = 0;
      while (n < max) {
        if (pos >= limit) return this->finish(n, false);
        char* p = buf.release();
        errno = 0;
        ssize_t len = ::getline(&p, &cap, file.get());
        buf.reset(p);
        if (len < 0) {
          if (std::ferror(file.get())) detail::throw_file_error("text_file: cannot read", path, pos, errno);
          return this->finish(n, false);
        }
        pos += len;
        std::size_t l = static_cast<std::size_t>(len);
        if (l && p[l - 1] == '\n') --l;
        if (l && p[l - 1] == '\r') --l;
        line.assign(p, l);
        ++n;
        if (!this->down->push(std::as_const(line))) return this->finish(n, true);
      }
      return {n, poll_status::more};
    }
  };

  template <class Env, class Down>
  auto open(Env&, shard sh, Down& down) const {
    detail::file_ptr f(std::fopen(path.c_str(), "rb"));
    if (!f) detail::throw_file_error("text_file: cannot open", path, -1, errno);
    struct stat st {};
    if (::fstat(fileno(f.get()), &st) != 0) detail::throw_file_error("text_file: cannot stat", path, -1, errno);
    long long size = st.st_size;
    long long lo = size * static_cast<long long>(sh.index) / static_cast<long long>(sh.count);
    long long hi = size * static_cast<long long>(sh.index + 1) / static_cast<long long>(sh.count);
    if (sh.index + 1 == sh.count) hi = std::numeric_limits<long long>::max();  // the file may grow
    long long pos = 0;
    if (lo > 0) {
      // Our first line is the first one starting at or after lo: skip the rest
      // of the line that covers byte lo - 1.
      if (::fseeko(f.get(), lo - 1, SEEK_SET) != 0) detail::throw_file_error("text_file: cannot seek", path, lo - 1, errno);
      pos = lo - 1;
      int c;
      while ((c = std::fgetc(f.get())) != EOF) {
        ++pos;
        if (c == '\n') break;
      }
      if (c == EOF) pos = hi;  // nothing starts in this shard
    }
    return driver<Down>{{&down}, std::move(f), path, pos, hi, nullptr, 0, {}};
  }
};

/// Lines of the file at path.
inline text_file_source text_file(std::string path) { return text_file_source{{}, std::move(path)}; }

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
