#pragma once
// socket_text(host, port): Spark's socketTextStream. A TCP client reading
// newline-delimited UTF-8 text; each line is a std::string record.
//   socket_text("localhost", 9999)
//   socket_text("127.0.0.1", 9999, {.lines = {.max_line = 4096, .too_long = bad_line::skip}})
// - It connects when the job starts. A refused or failed connection is
//   retried with exponential backoff (initial_backoff, doubling up to
//   max_backoff); after max_retries failures in a row the job fails with an
//   error naming host and port.
// - When the server closes or resets the connection it reconnects the same
//   way (Spark's receiver restarts); an incomplete last line is dropped and
//   counted (stats()->partial_lines_dropped). With end_on_close the stream
//   ends instead: after a clean close (FIN) an unterminated last line is
//   kept; after a reset (or another error) it is dropped and counted as
//   above, since only a clean end of the stream may end a line
//   (stats()->resets counts such connections).
// - Long lines and invalid UTF-8 follow line_options (fail, or skip and
//   count); errors give the line's number and byte offset, counted from the
//   start of the connection. How the bytes are cut into TCP segments never
//   changes the lines.
// - One connection per source: with parallelism P, shard 0 reads it (Spark's
//   receiver is one partition); the shuffle at key_by spreads the work.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "lines.hpp"
#include "source.hpp"

namespace spate {

struct socket_options {
  line_options lines{};
  int max_retries = 5;                           ///< failed connects in a row before the job fails
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{2000};
  std::chrono::milliseconds connect_timeout{2000};
  bool end_on_close = false;                     ///< a closed connection ends the stream
};

namespace detail {
struct fd_handle {
  int fd = -1;
  fd_handle() = default;
  explicit fd_handle(int f) : fd(f) {}
  fd_handle(fd_handle&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  fd_handle& operator=(fd_handle&& o) noexcept {
    if (this != &o) {
      reset();
      fd = std::exchange(o.fd, -1);
    }
    return *this;
  }
  ~fd_handle() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  explicit operator bool() const { return fd >= 0; }
};

/// One connection attempt; returns the connected socket or sets err.
inline fd_handle tcp_connect(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout, std::string& err) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    err = std::string("cannot resolve host: ") + ::gai_strerror(rc);
    return {};
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(res, ::freeaddrinfo);
  for (addrinfo* a = res; a; a = a->ai_next) {
    fd_handle s(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol));
    if (!s) {
      err = std::strerror(errno);
      continue;
    }
    if (::connect(s.fd, a->ai_addr, a->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        err = std::strerror(errno);
        continue;
      }
      pollfd p{s.fd, POLLOUT, 0};
      int rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
      if (rc <= 0) {
        err = rc == 0 ? "connection timed out" : std::strerror(errno);
        continue;
      }
      int so = 0;
      socklen_t len = sizeof so;
      ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &so, &len);
      if (so != 0) {
        err = std::strerror(so);
        continue;
      }
    }
    int one = 1;
    ::setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return s;
  }
  return {};
}
}  // namespace detail

/// Keeps a large or address-stable driver on the heap; forwards the driver API.
template <class D>
struct driver_handle {
  std::unique_ptr<D> d;
  poll_result poll(std::size_t max) { return d->poll(max); }
  bool drain() { return d->drain(); }
  /// The driver's position for a checkpoint, when it has one.
  void position(std::string& out) const
    requires requires(const D& x, std::string& o) { x.position(o); }
  {
    d->position(out);
  }
};

struct socket_text_source : source_tag {
  std::string host;
  std::uint16_t port;
  socket_options opt;
  std::shared_ptr<line_stats> counters = std::make_shared<line_stats>();
  static constexpr const char* name = "socket_text";
  using value_type = std::string;

  /// Counters shared by every copy of this source (and its running driver).
  const line_stats& stats() const { return *counters; }

  template <class Down>
  struct driver : driver_base<driver<Down>, Down> {
    using clock = std::chrono::steady_clock;
    const socket_text_source* src = nullptr;
    bool active = false;  // shard 0 reads; the others end at once
    detail::fd_handle sock;
    detail::line_splitter lines;
    int failures = 0;
    clock::time_point next_attempt{};
    std::string line;

    std::string where() const { return "socket_text(" + src->host + ":" + std::to_string(src->port) + ")"; }

    poll_result poll(std::size_t max) {
      waited = {};
      poll_result r = read(max);
      r.waited = waited;
      return r;
    }

    std::chrono::nanoseconds waited{0};  // this poll's time spent waiting for the server
    poll_result read(std::size_t max) {
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
        if (!sock) {
          if (n > 0) return {n, poll_status::more};
          auto now = clock::now();
          if (now < next_attempt) {
            std::this_thread::sleep_for(std::min<clock::duration>(next_attempt - now, std::chrono::milliseconds(10)));
            waited += clock::now() - now;
            return {0, poll_status::idle};
          }
          connect();
          return {0, poll_status::idle};
        }
        pollfd p{sock.fd, POLLIN, 0};
        const auto wait_from = n > 0 ? clock::time_point{} : clock::now();  // only an empty poll waits
        int rc = ::poll(&p, 1, n > 0 ? 0 : 10);
        if (n == 0) waited += clock::now() - wait_from;
        if (rc < 0 && errno != EINTR) throw std::runtime_error(where() + ": poll failed: " + std::strerror(errno));
        if (rc <= 0) return {n, n ? poll_status::more : poll_status::idle};
        ssize_t got = lines.fill([&](char* dst, std::size_t cap) { return ::recv(sock.fd, dst, cap, 0); });
        if (got > 0) continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
        // Closed cleanly (0), or reset / failed (< 0): end, or reconnect.
        const bool clean = got == 0;
        sock.reset();
        if (!clean) ++src->counters->resets;
        if (src->opt.end_on_close) {
          if (clean) {
            if (auto l = lines.finish()) {
              line.assign(*l);
              ++n;
              if (!this->down->push(std::as_const(line))) return this->finish(n, true);
            }
          } else {
            lines.drop_partial();  // a reset cuts a line; only a clean close may end it
          }
          return this->finish(n, false);
        }
        lines.drop_partial();
        ++src->counters->reconnects;
        next_attempt = clock::now() + src->opt.initial_backoff;
      }
      return {n, poll_status::more};
    }

    void connect() {
      std::string err;
      sock = detail::tcp_connect(src->host, src->port, src->opt.connect_timeout, err);
      if (sock) {
        failures = 0;
        return;
      }
      if (++failures > src->opt.max_retries)
        throw std::runtime_error(where() + ": cannot connect after " + std::to_string(failures) + " attempts: " + err);
      auto backoff = src->opt.initial_backoff * (1LL << std::min(failures - 1, 20));
      next_attempt = clock::now() + std::min<clock::duration>(backoff, src->opt.max_backoff);
    }
  };

  template <class Env, class Down>
  auto open(Env&, shard sh, Down& down) const {
    using D = driver<Down>;
    auto d = std::make_unique<D>();
    d->down = &down;
    d->src = this;
    d->active = sh.index == 0;
    d->lines = detail::line_splitter(opt.lines, counters, d->where());
    return driver_handle<D>{std::move(d)};
  }
};

/// Lines of text from a TCP server (see the top of this file).
inline socket_text_source socket_text(std::string host, std::uint16_t port, socket_options opt = {}) {
  return socket_text_source{{}, std::move(host), port, std::move(opt)};
}

}  // namespace spate
