#pragma once
// Lines from standard input, or from any readable file descriptor (a pipe, a
// FIFO): each line is a std::string, the input ends at end of file (an
// unterminated last line is kept). Long lines and invalid UTF-8 follow
// line_options (errors give the line's number and byte offset). One reader:
// with parallelism P, shard 0 reads.
//   stdin_lines() | flat_map(...) | ... | print()
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "lines.hpp"
#include "socket.hpp"
#include "source.hpp"

namespace spate {

struct fd_lines_source : source_tag {
  int fd;
  line_options opt;
  std::shared_ptr<line_stats> counters = std::make_shared<line_stats>();
  static constexpr const char* name = "stdin_lines";
  using value_type = std::string;
  const line_stats& stats() const { return *counters; }

  template <class Down>
  struct driver : driver_base<driver<Down>, Down> {
    int fd = -1;
    bool active = false;
    detail::line_splitter lines;
    std::string line;
    std::string where;

    poll_result poll(std::size_t max) {
      if (this->done) return {0, poll_status::ended};
      if (!active) return this->finish(0, false);
      std::size_t n = 0;
      while (n < max) {
        if (auto l = lines.next()) {
          line.assign(*l);
          ++n;
          if (!this->down->push(std::as_const(line))) return this->finish(n, true);
          continue;
        }
        pollfd p{fd, POLLIN, 0};
        int rc = ::poll(&p, 1, n > 0 ? 0 : 10);
        if (rc < 0 && errno != EINTR) throw std::runtime_error(where + ": poll failed: " + std::strerror(errno));
        if (rc <= 0) return {n, n ? poll_status::more : poll_status::idle};
        ssize_t got = lines.fill([&](char* dst, std::size_t cap) { return ::read(fd, dst, cap); });
        if (got < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
          throw std::runtime_error(where + ": read failed at byte " + std::to_string(lines.offset()) + ": " +
                                   std::strerror(errno));
        }
        if (got == 0) {
          if (auto l = lines.finish()) {
            line.assign(*l);
            ++n;
            if (!this->down->push(std::as_const(line))) return this->finish(n, true);
          }
          return this->finish(n, false);
        }
      }
      return {n, poll_status::more};
    }
  };

  template <class Env, class Down>
  auto open(Env&, shard sh, Down& down) const {
    auto d = std::make_unique<driver<Down>>();
    d->down = &down;
    d->fd = fd;
    d->active = sh.index == 0;
    d->where = fd == 0 ? "stdin_lines" : "fd_lines(" + std::to_string(fd) + ")";
    d->lines = detail::line_splitter(opt, counters, d->where);
    return driver_handle<driver<Down>>{std::move(d)};
  }
};

/// Lines of standard input.
inline fd_lines_source stdin_lines(line_options opt = {}) { return fd_lines_source{{}, 0, opt}; }
/// Lines read from a file descriptor the caller owns (kept open).
inline fd_lines_source fd_lines(int fd, line_options opt = {}) { return fd_lines_source{{}, fd, opt}; }

}  // namespace spate
