#pragma once
// Shared by the Spark tests: feeding a built chain under the micro-batch
// environment, and a temporary folder for checkpoints.
#include <catch2/catch.hpp>

#include <spate/spate.hpp>

#include <atomic>
#include <filesystem>
#include <string>
#include <system_error>
#include <unistd.h>
#include <vector>

#include "laws.hpp"

namespace spark_test {

/// Feeds a job's chain, built under the micro-batch environment, with
/// `events` (batch n has time n * 1000 ms), then ends it: the chain the law
/// helpers build, for golden cases.
template <class Job, class T>
void feed_batched(const Job& job, const std::vector<spate_laws::event<T>>& events) {
  spate::compacted_env env;
  auto c = spate::fuse::build(env, job);
  std::uint64_t batches = 0;
  spate_laws::detail::feed(c, events, 0, events.size(), batches);
  c.on_end();
}

/// A record type with no binary encoding (a checkpoint cannot store it).
struct opaque {
  int v = 0;
  const void* unused = nullptr;
  friend bool operator==(const opaque& a, const opaque& b) { return a.v == b.v; }
};

class temp_dir {
 public:
  temp_dir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("spate_spark_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace spark_test
