// async_map (algebra/async_io.hpp) against a slow local TCP service that the
// test starts: each request is a line with a number n; the service answers
// 2n after a delay that depends on n (so answers complete out of order), and
// never answers n < 0. Checks: ordered results in record order, unordered
// results complete and never across a watermark, at most `capacity`
// requests at once, timeouts with and without a handler, retries, and the
// requests in flight restored from a snapshot.
#include <catch2/catch.hpp>

#include "laws.hpp"

#include <spate/spate.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

using namespace std::chrono_literals;

namespace {
class slow_service {
 public:
  slow_service() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(listener_, 128) == 0);
    socklen_t len = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~slow_service() {
    stop_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    acceptor_.join();
    std::unique_lock lock(m_);
    for (auto& t : workers_) t.join();
  }
  int port() const { return port_; }
  int max_concurrent() const { return max_.load(); }

 private:
  void accept_loop() {
    for (;;) {
      int c = ::accept(listener_, nullptr, nullptr);
      if (c < 0) return;
      std::lock_guard lock(m_);
      workers_.emplace_back([this, c] { serve(c); });
    }
  }
  void serve(int c) {
    const int now = ++open_;
    int seen = max_.load();
    while (now > seen && !max_.compare_exchange_weak(seen, now)) {
    }
    std::string line;
    char ch;
    while (::recv(c, &ch, 1, 0) == 1 && ch != '\n') line += ch;
    const long n = line.empty() ? 0 : std::stol(line);
    if (n >= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds((n % 4) * 3));
      const std::string reply = std::to_string(2 * n) + "\n";
      --open_;
      (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
    } else {
      while (!stop_ && ::recv(c, &ch, 1, 0) > 0) {  // never answers; waits for the client to go
      }
      --open_;
    }
    ::close(c);
  }
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> open_{0}, max_{0};
  std::mutex m_;
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

// One request: a promise fulfilled by a thread of its own (a dropped future
// of a promise does not wait, unlike std::async's).
// [doc:async_client]
std::future<long> ask(int port, long n) {
  auto p = std::make_shared<std::promise<long>>();
  auto f = p->get_future();
  std::thread([p, port, n] {
    try {
      int s = ::socket(AF_INET, SOCK_STREAM, 0);
      timeval tv{1, 0};  // the client gives up after 1 s
      ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(static_cast<std::uint16_t>(port));
      if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect failed");
      const std::string line = std::to_string(n) + "\n";
      (void)::send(s, line.data(), line.size(), MSG_NOSIGNAL);
      std::string reply;
      char ch;
      while (::recv(s, &ch, 1, 0) == 1 && ch != '\n') reply += ch;
      ::close(s);
      if (reply.empty()) throw std::runtime_error("no answer");
      p->set_value(std::stol(reply));
    } catch (...) {
      p->set_exception(std::current_exception());
    }
  }).detach();
  return f;
}
// [end]

std::vector<long> numbers(long n) {
  std::vector<long> v;
  for (long i = 0; i < n; ++i) v.push_back(i);
  return v;
}

struct wm_mark {
  std::int64_t t;
};
// A sink that records records and watermarks in the order they arrive.
struct trace_sink : spate::sink_tag {
  std::vector<std::variant<long, wm_mark>>* out;
  static constexpr const char* name = "trace";
  template <class Flow>
  static constexpr bool check() {
    return true;
  }
  struct built : spate::sink_control {
    std::vector<std::variant<long, wm_mark>>* out;
    bool push(long v) {
      out->emplace_back(v);
      return true;
    }
    void on_watermark(spate::event_time t) { out->emplace_back(wm_mark{spate::to_millis(t)}); }
  };
  template <class Flow, class Env>
  built build(Env&, spate::stage_label) const {
    return {{}, out};
  }
};
}  // namespace

TEST_CASE("async_map: ordered results keep the order of their records", "[joins][async]") {
  slow_service svc;
  const int port = svc.port();
  std::vector<long> out;
  // [doc:async_map]
  spate::run(spate::from_collection(numbers(200)) |
             spate::async_map([port](long n) { return ask(port, n); }, {.capacity = 8, .timeout = 5s}) |
             spate::collect_into(out));
  // [end]
  std::vector<long> expected;
  for (long n : numbers(200)) expected.push_back(2 * n);
  CHECK(out == expected);
  CHECK(svc.max_concurrent() <= 8);
}

TEST_CASE("async_map: unordered results, never across a watermark", "[joins][async]") {
  slow_service svc;
  const int port = svc.port();
  std::vector<std::variant<long, wm_mark>> trace;
  spate::rolling_env env;
  auto job = spate::from_collection(std::vector<long>{}) |
             spate::async_map([port](long n) { return ask(port, n); }, {.capacity = 16, .timeout = 5s, .ordered = false}) |
             trace_sink{{}, &trace};
  auto c = spate::fuse::build(env, job);
  for (long n = 0; n < 120; ++n) {
    c.push(n);
    if (n % 10 == 9) c.on_watermark(spate::from_millis(n));
  }
  c.on_end();
  // every result once; watermark w after every result of a record <= w, before every other
  std::vector<long> results;
  std::int64_t last_wm = -1;
  for (const auto& e : trace) {
    if (const long* v = std::get_if<long>(&e)) {
      results.push_back(*v);
      CHECK(*v / 2 > last_wm);
    } else {
      last_wm = std::get<wm_mark>(e).t;
      for (long m = 0; m <= last_wm; ++m) CHECK(std::find(results.begin(), results.end(), 2 * m) != results.end());
    }
  }
  std::sort(results.begin(), results.end());
  std::vector<long> expected;
  for (long n = 0; n < 120; ++n) expected.push_back(2 * n);
  CHECK(results == expected);
  CHECK(svc.max_concurrent() <= 16);
}

TEST_CASE("async_map: timeouts go to the handler or fail the job naming the stage", "[joins][async]") {
  slow_service svc;
  const int port = svc.port();
  std::vector<long> input{1, -5, 2};  // the service never answers -5
  std::vector<long> out;
  spate::run(spate::from_collection(input) |
             spate::async_map([port](long n) { return ask(port, n); }, {.capacity = 4, .timeout = 100ms})
                 .on_timeout([](long n) { return std::optional<long>(n * 1000); }) |
             spate::collect_into(out));
  CHECK(out == std::vector<long>{2, -5000, 4});
  std::vector<long> none;
  CHECK_THROWS_WITH(spate::run(spate::from_collection(input) |
                               spate::async_map([port](long n) { return ask(port, n); }, {.capacity = 4, .timeout = 100ms}) |
                               spate::collect_into(none)),
                    Catch::Contains("async_map") && Catch::Contains("timed out"));
}

TEST_CASE("async_map: a failed request is retried", "[joins][async]") {
  slow_service svc;
  const int port = svc.port();
  auto tries = std::make_shared<std::map<long, int>>();
  auto flaky = [port, tries](long n) {
    if ((*tries)[n]++ == 0 && n % 3 == 0) {  // the first attempt of every third record fails
      std::promise<long> p;
      p.set_exception(std::make_exception_ptr(std::runtime_error("flaky")));
      return p.get_future();
    }
    return ask(port, n);
  };
  std::vector<long> out;
  spate::run(spate::from_collection(numbers(30)) | spate::async_map(flaky, {.capacity = 4, .timeout = 5s, .retries = 1}) |
             spate::collect_into(out));
  std::vector<long> expected;
  for (long n : numbers(30)) expected.push_back(2 * n);
  CHECK(out == expected);
  std::vector<long> none;
  tries->clear();
  CHECK_THROWS_WITH(spate::run(spate::from_collection(numbers(30)) | spate::async_map(flaky, {.capacity = 4, .timeout = 5s}) |
                               spate::collect_into(none)),
                    Catch::Contains("async_map") && Catch::Contains("failed"));
}

namespace {
// What the restore laws feed async_map: 40 records with a watermark after
// every seventh, asked of the slow service with 6 requests in flight.
std::vector<spate_laws::event<long>> restore_events() {
  std::vector<spate_laws::event<long>> events;
  for (long n = 0; n < 40; ++n) {
    events.push_back(n);
    if (n % 7 == 6) events.push_back(spate::from_millis(n));
  }
  return events;
}
auto asking(int port) {
  return [port](std::vector<long>& o) {
    return spate::from_collection(std::vector<long>{}) |
           spate::async_map([port](long n) { return ask(port, n); }, {.capacity = 6, .timeout = 5s}) |
           spate::collect_into(o);
  };
}
}  // namespace

TEST_CASE("async_map: requests in flight are part of a snapshot and start again on restore", "[joins][async][laws]") {
  slow_service svc;
  const auto events = restore_events();
  const auto make = asking(svc.port());
  for (std::size_t cut : {std::size_t(3), std::size_t(10), std::size_t(25)})
    spate_laws::restore_equals_uninterrupted<std::vector<long>>(make, events, cut);
}

TEST_CASE("async_map: requests in flight restore at another parallelism, each at one instance", "[joins][async][laws]") {
  slow_service svc;
  const auto events = restore_events();
  const auto make = asking(svc.port());
  // Records are spread over the old instances by value; results compared as
  // multisets (the instances run side by side).
  auto sorted = [](std::vector<long> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  for (auto [from, to] : {std::pair<std::size_t, std::size_t>{1, 2}, {2, 3}, {3, 1}})
    for (std::size_t cut : {std::size_t(10), std::size_t(25)})
      spate_laws::rescale_equals_uninterrupted<std::vector<long>>(make, events, cut, [](long n) { return n; }, from, to,
                                                                  sorted);
}
