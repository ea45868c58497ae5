#pragma once
// A TCP server on 127.0.0.1 (an ephemeral port) for the socket tests: each
// accepted connection is handed to a function on the server's thread.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace spate_test {

class tcp_server {
 public:
  /// serve(fd, n) handles the n-th connection (0, 1, ...) and returns true to
  /// accept another one; it may close fd itself (then setting it to -1).
  explicit tcp_server(std::function<bool(int& fd, int n)> serve) : serve_(std::move(serve)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 8) != 0)
      throw std::runtime_error("tcp_server: cannot listen");
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      for (int n = 0;; ++n) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        bool more = serve_(c, n);
        if (c >= 0) ::close(c);
        if (!more) return;
      }
    });
  }
  ~tcp_server() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }

  static void send_all(int fd, std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      s.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  /// Closes with a TCP reset instead of an orderly FIN.
  static void reset(int& fd) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
    fd = -1;
  }

 private:
  std::function<bool(int&, int)> serve_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

/// A port on 127.0.0.1 where nothing listens.
inline std::uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace spate_test
