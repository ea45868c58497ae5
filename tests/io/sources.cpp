// socket_text, fd_lines/stdin_lines, text_files_in, rolling_text_files, and
// the network_wordcount example run against a TCP server on 127.0.0.1.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <spate/exec.hpp>
#include <spate/spate.hpp>

#include "tcp_server.hpp"

using namespace std::chrono_literals;
using spate_test::tcp_server;

namespace {
/// A vector the sink thread writes and the test reads.
struct shared_lines {
  std::mutex m;
  std::vector<std::string> v;
  void add(const std::string& s) {
    std::lock_guard l(m);
    v.push_back(s);
  }
  std::vector<std::string> get() {
    std::lock_guard l(m);
    return v;
  }
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout = 10s) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (get().size() >= n) return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }
};
auto into(shared_lines& s) {
  return spate::for_each([&s](const std::string& x) { s.add(x); });
}
spate::socket_options fast_retry(int retries = 20) {
  spate::socket_options o;
  o.max_retries = retries;
  o.initial_backoff = 10ms;
  o.max_backoff = 50ms;
  return o;
}
std::string temp_dir() {
  char tmpl[] = "/tmp/spate-io-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  return tmpl;
}
void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}
std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (std::string n = e->d_name; n != "." && n != "..") out.push_back(n);
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}
std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("socket_text: reads newline-delimited lines from a server", "[socket]") {
  std::atomic<bool> done{false};
  tcp_server server([&](int& fd, int) {
    tcp_server::send_all(fd, "hello world\r\nsecond line\n");
    while (!done) std::this_thread::sleep_for(5ms);
    return false;
  });
  shared_lines got;
  spate::context ctx{spate::continuous{}, spate::parallelism{2}};
  ctx.add(spate::socket_text("127.0.0.1", server.port(), fast_retry()) | into(got));
  ctx.start();
  REQUIRE(got.wait_for(2));
  ctx.stop();
  done = true;
  CHECK(got.get() == std::vector<std::string>{"hello world", "second line"});
}

TEST_CASE("socket_text: time spent waiting for lines is not a micro-batch's work time", "[socket]") {
  // A line every 25 ms: each comes while the source waits in poll (up to
  // 10 ms at a time). Counted as work, those waits would add up to about
  // 5 ms a line (200 ms for 40); what is left is the lines' own handling.
  tcp_server server([&](int& fd, int) {
    for (int i = 0; i < 40; ++i) {
      tcp_server::send_all(fd, "line " + std::to_string(i) + "\n");
      std::this_thread::sleep_for(25ms);
    }
    return false;
  });
  auto opt = fast_retry();
  opt.end_on_close = true;
  std::atomic<std::size_t> seen{0};
  spate::context ctx{spate::micro_batch{200ms}};
  ctx.add(spate::socket_text("127.0.0.1", server.port(), opt) | spate::for_each([&](const std::string&) { ++seen; }));
  ctx.start();
  ctx.await_termination();
  CHECK(seen == 40);
  std::chrono::microseconds work{0};
  std::uint64_t records = 0;
  for (const auto& b : ctx.metrics().batches) {
    work += b.work_time;
    records += b.records;
  }
  CHECK(records == 40);
  CHECK(work < 60ms);
}

TEST_CASE("socket_text: end_on_close ends the stream and keeps an unterminated last line", "[socket]") {
  tcp_server server([&](int& fd, int) {
    tcp_server::send_all(fd, "a b\nc");
    return false;
  });
  auto opt = fast_retry();
  opt.end_on_close = true;
  std::map<std::string, std::int64_t> counts;
  spate::context ctx{spate::micro_batch{50ms}, spate::parallelism{2}};
  ctx.add(spate::socket_text("localhost", server.port(), opt)
          | spate::flat_map([](const std::string& l) { return spate::words(l); })
          | spate::key_by([](std::string_view w) { return w; }) | spate::count() | spate::collect_into(counts));
  ctx.start();
  ctx.await_termination();
  CHECK(counts == std::map<std::string, std::int64_t>{{"a", 1}, {"b", 1}, {"c", 1}});
}

TEST_CASE("socket_text: an unreachable server fails the job after its retries", "[socket][error]") {
  auto port = spate_test::closed_port();
  std::vector<std::string> out;
  spate::context ctx{spate::continuous{}};
  ctx.add(spate::socket_text("127.0.0.1", port, fast_retry(2)) | spate::collect_into(out));
  ctx.start();
  CHECK_THROWS_WITH(ctx.await_termination(),
                    Catch::Contains("127.0.0.1:" + std::to_string(port)) && Catch::Contains("after 3 attempts") &&
                        Catch::Contains("refused"));
}

TEST_CASE("socket_text: a reset mid-line drops the partial line and reconnects", "[socket]") {
  std::atomic<bool> done{false};
  tcp_server server([&](int& fd, int n) {
    if (n == 0) {
      tcp_server::send_all(fd, "first\npart of a li");
      std::this_thread::sleep_for(50ms);
      tcp_server::reset(fd);
      return true;
    }
    tcp_server::send_all(fd, "second\n");
    while (!done) std::this_thread::sleep_for(5ms);
    return false;
  });
  shared_lines got;
  auto src = spate::socket_text("127.0.0.1", server.port(), fast_retry());
  auto stats = src.counters;
  spate::context ctx{spate::continuous{}};
  ctx.add(src | into(got));
  ctx.start();
  REQUIRE(got.wait_for(2));
  ctx.stop();
  done = true;
  CHECK(got.get() == std::vector<std::string>{"first", "second"});
  CHECK(stats->partial_lines_dropped == 1);
  CHECK(stats->reconnects >= 1);
}

TEST_CASE("socket_text: a line of exactly max_line bytes whose CR and LF arrive apart is kept", "[socket][crlf]") {
  // Issue 9, item 5: cap 4, the server sends "abcd\r", pauses, sends "\n".
  tcp_server server([&](int& fd, int) {
    tcp_server::send_all(fd, "abcd\r");
    std::this_thread::sleep_for(100ms);  // the client reads "abcd\r" alone
    tcp_server::send_all(fd, "\nef\r");
    std::this_thread::sleep_for(100ms);
    tcp_server::send_all(fd, "\n");
    return false;
  });
  auto opt = fast_retry();
  opt.end_on_close = true;
  opt.lines.max_line = 4;  // too_long = fail: a wrong rejection would fail the job
  std::vector<std::string> out;
  spate::context ctx{spate::continuous{}};
  ctx.add(spate::socket_text("127.0.0.1", server.port(), opt) | spate::collect_into(out));
  ctx.start();
  ctx.await_termination();
  CHECK(out == std::vector<std::string>{"abcd", "ef"});
}

TEST_CASE("socket_text: with end_on_close a reset drops the cut last line and counts it", "[socket][reset]") {
  tcp_server server([&](int& fd, int) {
    tcp_server::send_all(fd, "whole\ncut li");
    std::this_thread::sleep_for(100ms);  // the client has read both
    tcp_server::reset(fd);
    return false;
  });
  auto opt = fast_retry();
  opt.end_on_close = true;
  auto src = spate::socket_text("127.0.0.1", server.port(), opt);
  auto stats = src.counters;
  std::vector<std::string> out;
  spate::context ctx{spate::continuous{}};
  ctx.add(src | spate::collect_into(out));
  ctx.start();
  ctx.await_termination();  // a reset ends the stream too, under end_on_close
  CHECK(out == std::vector<std::string>{"whole"});
  CHECK(stats->partial_lines_dropped == 1);
  CHECK(stats->lines == 1);
  CHECK(stats->resets == 1);
  CHECK(stats->reconnects == 0);
}

TEST_CASE("socket_text: a slow server sending a byte at a time", "[socket]") {
  tcp_server server([&](int& fd, int) {
    for (char c : std::string("slow line\nnext\n")) {
      tcp_server::send_all(fd, std::string(1, c));
      std::this_thread::sleep_for(2ms);
    }
    return false;
  });
  auto opt = fast_retry();
  opt.end_on_close = true;
  std::vector<std::string> out;
  spate::context ctx{spate::continuous{}};
  ctx.add(spate::socket_text("127.0.0.1", server.port(), opt) | spate::collect_into(out));
  ctx.start();
  ctx.await_termination();
  CHECK(out == std::vector<std::string>{"slow line", "next"});
}

TEST_CASE("socket_text: long lines and invalid UTF-8 follow their policies", "[socket][policy]") {
  const std::string text = "ok\n" + std::string(100, 'x') + "\nbad \xC3\x28 utf8\ncaf\xC3\xA9\n";
  auto run = [&](spate::line_options lines, std::vector<std::string>& out) {
    tcp_server server([&](int& fd, int) {
      tcp_server::send_all(fd, text);
      return false;
    });
    auto opt = fast_retry();
    opt.end_on_close = true;
    opt.lines = lines;
    auto src = spate::socket_text("127.0.0.1", server.port(), opt);
    spate::context ctx{spate::continuous{}};
    ctx.add(src | spate::collect_into(out));
    ctx.start();
    ctx.await_termination();
    return src.counters;
  };
  {
    std::vector<std::string> out;
    auto stats = run({.max_line = 50, .too_long = spate::bad_line::skip, .invalid_utf8 = spate::bad_line::skip}, out);
    CHECK(out == std::vector<std::string>{"ok", "caf\xC3\xA9"});
    CHECK(stats->skipped_too_long == 1);
    CHECK(stats->skipped_invalid_utf8 == 1);
  }
  {
    std::vector<std::string> out;
    CHECK_THROWS_WITH(run({.max_line = 50, .too_long = spate::bad_line::fail}, out), Catch::Contains("longer than 50 bytes"));
  }
  {
    std::vector<std::string> out;
    CHECK_THROWS_WITH(run({.max_line = 1000, .invalid_utf8 = spate::bad_line::fail}, out), Catch::Contains("not valid UTF-8"));
  }
}

TEST_CASE("fd_lines / stdin_lines: lines until end of file", "[stdin]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::thread writer([w = fds[1]] {
    std::string s = "one two\nthree\nfour";
    (void)!::write(w, s.data(), s.size());
    ::close(w);
  });
  std::map<std::string, std::int64_t> counts;
  spate::context ctx{spate::micro_batch{50ms}, spate::parallelism{2}};
  ctx.add(spate::fd_lines(fds[0]) | spate::flat_map([](const std::string& l) { return spate::words(l); })
          | spate::key_by([](std::string_view w) { return w; }) | spate::count() | spate::collect_into(counts));
  ctx.start();
  ctx.await_termination();
  writer.join();
  ::close(fds[0]);
  CHECK(counts == std::map<std::string, std::int64_t>{{"four", 1}, {"one", 1}, {"three", 1}, {"two", 1}});
  CHECK(std::string(spate::stdin_lines().name) == "stdin_lines");
}

TEST_CASE("fd_lines: a line of exactly max_line bytes whose CR and LF come in different reads is kept", "[stdin][crlf]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::thread writer([w = fds[1]] {
    (void)!::write(w, "abcd\r", 5);
    std::this_thread::sleep_for(100ms);  // the reader gets "abcd\r" alone
    (void)!::write(w, "\nxy\n", 4);
    ::close(w);
  });
  std::vector<std::string> out;
  spate::context ctx{spate::continuous{}};
  ctx.add(spate::fd_lines(fds[0], {.max_line = 4}) | spate::collect_into(out));
  ctx.start();
  CHECK_NOTHROW(ctx.await_termination());
  writer.join();
  ::close(fds[0]);
  CHECK(out == std::vector<std::string>{"abcd", "xy"});
}

TEST_CASE("text_files_in: new files are read once, existing and hidden files are not", "[directory]") {
  auto dir = temp_dir();
  write_file(dir + "/old.txt", "old\n");
  shared_lines got;
  spate::context ctx{spate::continuous{}, spate::parallelism{2}};
  ctx.add(spate::text_files_in(dir, {.poll_interval = 10ms}) | into(got));
  ctx.start();
  std::this_thread::sleep_for(50ms);
  write_file(dir + "/.new.tmp", "n1\nn2");  // written under a hidden name,
  std::this_thread::sleep_for(50ms);
  REQUIRE(std::rename((dir + "/.new.tmp").c_str(), (dir + "/new.txt").c_str()) == 0);  // then moved in
  write_file(dir + "/_COPYING_", "ignored\n");
  REQUIRE(got.wait_for(2));
  std::this_thread::sleep_for(100ms);  // several scans: still read once
  ctx.stop();
  auto lines = got.get();
  std::sort(lines.begin(), lines.end());
  CHECK(lines == std::vector<std::string>{"n1", "n2"});

  shared_lines all;
  spate::context ctx2{spate::continuous{}};
  ctx2.add(spate::text_files_in(dir, {.include_existing = true, .poll_interval = 10ms}) | into(all));
  ctx2.start();
  REQUIRE(all.wait_for(3));
  ctx2.stop();
  lines = all.get();
  std::sort(lines.begin(), lines.end());
  CHECK(lines == std::vector<std::string>{"n1", "n2", "old"});
  std::system(("rm -rf " + dir).c_str());
}

namespace {
/// A directory source driven by hand on this thread, so that a test can act
/// between two polls (after a scan has listed a file, before it is opened).
template <class Source>
struct hand_driven {
  std::vector<std::string> out;
  decltype(std::declval<Source>() | spate::collect_into(out)) job;
  spate::rolling_env env;
  decltype(spate::fuse::build(env, job)) head;
  decltype(job.source.open(env, spate::shard{}, head)) driver;
  explicit hand_driven(Source src)
      : job(std::move(src) | spate::collect_into(out)),
        head(spate::fuse::build(env, job)),
        driver(job.source.open(env, spate::shard{}, head)) {}
  /// Polls until nothing more comes for a while.
  void settle() {
    for (int quiet = 0; quiet < 5;) {
      auto r = driver.poll(100);
      quiet = r.records ? 0 : quiet + 1;
      std::this_thread::sleep_for(5ms);
    }
  }
};
}  // namespace

TEST_CASE("text_files_in: a listed file that is gone before it is opened is counted, not fatal", "[directory][vanished]") {
  auto dir = temp_dir();
  write_file(dir + "/a", "a1\na2\n");
  write_file(dir + "/b", "b1\n");
  write_file(dir + "/c", "c1\n");
  auto src = spate::text_files_in(dir, {.include_existing = true, .poll_interval = 1ms});  // unreadable = fail
  auto stats = src.counters;
  hand_driven h(src);
  REQUIRE(h.driver.poll(1).records == 1);  // listed a, b, c; read "a1"
  REQUIRE(std::remove((dir + "/b").c_str()) == 0);  // b goes away before its turn
  REQUIRE_NOTHROW(h.settle());
  CHECK(h.out == std::vector<std::string>{"a1", "a2", "c1"});
  CHECK(stats->files_vanished == 1);
  CHECK(stats->files_read == 2);
  CHECK(stats->files_skipped == 0);
  // The name is free again: a new file b is read.
  write_file(dir + "/b", "b2\n");
  h.settle();
  CHECK(h.out == std::vector<std::string>{"a1", "a2", "c1", "b2"});
  CHECK(stats->files_read == 3);
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("text_files_in: a file that cannot be opened or read fails the job, or is skipped and counted",
          "[directory][unreadable]") {
  // Made unreadable after the listing, in ways that hold for root too: a
  // directory in its place (read fails: EISDIR), a symlink loop (open fails:
  // ELOOP); and a dangling symlink already there when the directory is listed.
  auto setup = [](const std::string& dir, const std::string& how) {
    write_file(dir + "/a", "a1\na2\n");
    write_file(dir + "/b", "b1\n");
    write_file(dir + "/c", "c1\n");
    if (how == "dangling") REQUIRE(::symlink("no-such-target", (dir + "/b2").c_str()) == 0);
  };
  auto spoil = [](const std::string& dir, const std::string& how) {
    if (how == "dangling") return;
    REQUIRE(std::remove((dir + "/b").c_str()) == 0);
    if (how == "directory") REQUIRE(::mkdir((dir + "/b").c_str(), 0700) == 0);
    if (how == "loop") REQUIRE(::symlink("b", (dir + "/b").c_str()) == 0);
  };
  for (std::string how : {"directory", "loop", "dangling"}) {
    INFO(how);
    {
      auto dir = temp_dir();
      setup(dir, how);
      hand_driven h(spate::text_files_in(dir, {.include_existing = true, .poll_interval = 1ms}));
      if (how != "dangling") {
        REQUIRE(h.driver.poll(1).records == 1);
        spoil(dir, how);
      }
      const std::string b = dir + (how == "dangling" ? "/b2" : "/b");
      const std::string why = how == "directory" ? "cannot read '" + b + "' at byte 0: Is a directory"
                              : how == "loop"    ? "cannot open '" + b + "': Too many levels of symbolic links"
                                                 : "dangling symbolic link '" + b + "': No such file or directory";
      CHECK_THROWS_WITH(h.settle(), Catch::Contains(why));
      std::system(("rm -rf " + dir).c_str());
    }
    {
      auto dir = temp_dir();
      setup(dir, how);
      auto src = spate::text_files_in(dir, {.include_existing = true, .poll_interval = 1ms, .unreadable = spate::bad_file::skip});
      auto stats = src.counters;
      hand_driven h(src);
      if (how != "dangling") {
        REQUIRE(h.driver.poll(1).records == 1);
        spoil(dir, how);
      }
      REQUIRE_NOTHROW(h.settle());
      auto lines = h.out;
      std::sort(lines.begin(), lines.end());
      CHECK(lines == (how == "dangling" ? std::vector<std::string>{"a1", "a2", "b1", "c1"}
                                        : std::vector<std::string>{"a1", "a2", "c1"}));
      CHECK(stats->files_skipped == 1);
      CHECK(stats->files_vanished == 0);
      CHECK(stats->files_read == (how == "dangling" ? 3 : 2));
      h.settle();  // later scans list it again: still counted once
      CHECK(stats->files_skipped == 1);
      std::system(("rm -rf " + dir).c_str());
    }
  }
}

TEST_CASE("text_files_in: a file that shrinks while it is read is unreadable: error, or skipped and counted",
          "[directory][unreadable][truncated]") {
  std::string big;
  for (int i = 0; i < 20000; ++i) big += "line " + std::to_string(100000 + i) + "\n";  // 240 000 bytes
  for (auto policy : {spate::bad_file::fail, spate::bad_file::skip}) {
    auto dir = temp_dir();
    write_file(dir + "/a", big);
    write_file(dir + "/b", "b1\n");
    auto src = spate::text_files_in(dir, {.include_existing = true, .poll_interval = 1ms, .unreadable = policy});
    auto stats = src.counters;
    hand_driven h(src);
    REQUIRE(h.driver.poll(1).records == 1);                          // a is open, its first read done
    REQUIRE(::truncate((dir + "/a").c_str(), 100'005) == 0);          // cut in the middle of a line
    if (policy == spate::bad_file::fail) {
      CHECK_THROWS_WITH(h.settle(), Catch::Contains("'" + dir + "/a' was truncated while being read: 240000 bytes at open, "
                                                    "end of file at byte 100005"));
    } else {
      REQUIRE_NOTHROW(h.settle());
      CHECK(stats->files_skipped == 1);
      CHECK(stats->partial_lines_dropped == 1);
      CHECK(h.out.back() == "b1");
      CHECK(std::count_if(h.out.begin(), h.out.end(), [](const std::string& l) { return l.size() != 11; }) == 1);  // b1; no cut line
    }
    std::system(("rm -rf " + dir).c_str());
  }
}

TEST_CASE("doc: line and file policies of a watched directory", "[doc][directory]") {
  auto dir = temp_dir();
  write_file(dir + "/a", "ok\n" + std::string(5000, 'x') + "\nlast\n");
  REQUIRE(::symlink("nowhere", (dir + "/broken").c_str()) == 0);  // cannot be read
  std::vector<std::string> lines;
  // [doc:directory_policies]
  auto incoming = spate::text_files_in(dir, {.include_existing = true,
                                             .lines = {.max_line = 4096, .too_long = spate::bad_line::skip},
                                             .unreadable = spate::bad_file::skip});
  auto stats = incoming.counters;  // shared with the running source: read them at any time
  spate::context ctx{spate::continuous{}};
  ctx.add(incoming | spate::collect_into(lines));
  ctx.start();
  // later: stats->files_read == 1, stats->files_skipped == 1 (the dangling symlink),
  //        stats->skipped_too_long == 1, stats->lines == 2
  // [end]
  auto end = std::chrono::steady_clock::now() + 10s;
  while ((stats->files_read < 1 || stats->files_skipped < 1 || stats->lines < 2) && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(5ms);
  ctx.stop();
  CHECK(lines == std::vector<std::string>{"ok", "last"});
  CHECK(stats->files_read == 1);
  CHECK(stats->files_skipped == 1);
  CHECK(stats->files_vanished == 0);
  CHECK(stats->skipped_too_long == 1);
  CHECK(stats->lines == 2);
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("rolling_text_files: a part per batch, renamed into place when complete", "[rolling]") {
  auto dir = temp_dir();
  spate::context ctx{spate::micro_batch{30ms}, spate::parallelism{2}, spate::max_rate{2000}};
  ctx.add(spate::generate([](std::uint64_t i) { return i; }, 400) | spate::rolling_text_files(dir));
  ctx.start();
  ctx.await_termination();
  auto files = list_dir(dir);
  REQUIRE(files.size() >= 2);
  std::vector<long> values;
  for (auto& f : files) {
    CHECK(f.rfind("part-", 0) == 0);  // no hidden .inprogress file is left
    std::istringstream in(read_file(dir + "/" + f));
    for (long v; in >> v;) values.push_back(v);
  }
  std::sort(values.begin(), values.end());
  REQUIRE(values.size() == 400);
  for (long i = 0; i < 400; ++i) CHECK(values[static_cast<std::size_t>(i)] == i);
  std::system(("rm -rf " + dir).c_str());

  // By size: parts of at most ~max_bytes.
  dir = temp_dir();
  spate::run(spate::generate([](std::uint64_t i) { return i; }, 1000)
             | spate::rolling_text_files(dir, {.prefix = "log", .max_bytes = 1000}));
  files = list_dir(dir);
  CHECK(files.size() >= 3);
  for (auto& f : files) {
    CHECK(f.rfind("log-", 0) == 0);
    CHECK(read_file(dir + "/" + f).size() < 1010);
  }
  std::system(("rm -rf " + dir).c_str());
}

#ifdef SPATE_NETWORK_WORDCOUNT
TEST_CASE("example network_wordcount: counts words per batch, stops on SIGINT", "[example]") {
  std::atomic<bool> second{false}, done{false};
  tcp_server server([&](int& fd, int) {
    tcp_server::send_all(fd, "hello world hello\n");
    while (!second) std::this_thread::sleep_for(5ms);
    tcp_server::send_all(fd, "bye bye\n");
    while (!done) std::this_thread::sleep_for(5ms);
    return false;
  });
  int out[2];
  REQUIRE(::pipe(out) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::close(out[0]);
    ::close(out[1]);
    std::string port = std::to_string(server.port());
    ::execl(SPATE_NETWORK_WORDCOUNT, SPATE_NETWORK_WORDCOUNT, "127.0.0.1", port.c_str(), static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  ::close(out[1]);
  std::string text;
  auto read_until = [&](const std::string& what, std::chrono::seconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (text.find(what) == std::string::npos && std::chrono::steady_clock::now() < end) {
      pollfd p{out[0], POLLIN, 0};
      if (::poll(&p, 1, 100) > 0) {
        char buf[4096];
        ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
      }
    }
    return text.find(what) != std::string::npos;
  };
  CHECK(read_until("(hello,2)", 15s));
  CHECK(text.find("(world,1)") != std::string::npos);
  CHECK(text.find("-------------------------------------------\nTime: ") != std::string::npos);
  // A line read just before SIGINT is still counted and printed: graceful stop.
  second = true;
  std::this_thread::sleep_for(500ms);
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  read_until("\xff", 1s);  // the rest, to end of file
  ::close(out[0]);
  done = true;
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(text.find("(bye,2)") != std::string::npos);
}
#endif
