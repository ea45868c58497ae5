// What the Kafka source tests share: a sink that records what a driver
// pushes, a bounded read, and a capture of stderr (where librdkafka logs).
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>
#include <unistd.h>
#include <spate/exec.hpp>
#include <spate/spate.hpp>
#include <spate/serde/binary.hpp>
#include <spate/serde/json.hpp>
#include <spate/serde/key_value.hpp>
#include <spate/serde/string_schema.hpp>

#include "kafka_support.hpp"

namespace kafka = spate::kafka;
using spate::serde::string_schema;

namespace {

// A sink that records values and watermarks, for driving sources by hand.
template <class T>
struct recorder {
  std::vector<T> values;
  std::vector<std::int64_t> watermarks;
  bool ended = false;
  bool push(const T& v) {
    values.push_back(v);
    return true;
  }
  void on_watermark(spate::event_time t) { watermarks.push_back(spate::to_millis(t)); }
  void on_barrier(spate::checkpoint_id) {}
  void on_batch_end(const spate::batch_info&) {}
  void on_tick(spate::event_time) {}
  void on_idle(bool) {}
  void on_end() { ended = true; }
};

template <class Src>
std::vector<typename Src::value_type> read_bounded(const Src& src) {
  std::vector<typename Src::value_type> out;
  spate::run(src.until_offsets_end() | spate::collect_into(out));
  return out;
}

// Captures what is written to stderr (fd 2, where librdkafka logs) until finish().
class stderr_capture {
 public:
  stderr_capture() : file_(std::tmpfile()), saved_(::dup(2)) {
    REQUIRE(file_);
    REQUIRE(saved_ >= 0);
    std::fflush(stderr);
    ::dup2(::fileno(file_), 2);
  }
  ~stderr_capture() { finish(); }
  std::string finish() {
    if (saved_ < 0) return text_;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
    std::rewind(file_);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, file_)) > 0;) text_.append(buf, n);
    std::fclose(file_);
    std::fputs(text_.c_str(), stderr);  // still shown in the test's output
    return text_;
  }

 private:
  std::FILE* file_;
  int saved_;
  std::string text_;
};

}  // namespace
