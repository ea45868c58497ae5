#pragma once
// The nexmark runner's pieces: options, the checksum sink, timing.
#include <spate/spate.hpp>

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "rows.hpp"
#include "sources.hpp"

namespace nexmark {

struct options {
  std::string query = "q0";
  std::uint64_t events = 10'000'000;
  std::size_t parallelism = 1;
  bool unfused = false;
  config cfg;
  std::string dir;  // q10's output, q13's side input
  /// Count the rows without hashing them (what bench_nexmark measures, so
  /// that the sink does not hide the pipeline's cost).
  bool count_only = false;
};

struct totals {
  std::atomic<std::uint64_t> rows{0}, checksum{0};
};

/// The sink: counts rows and sums their hashes, per worker, into totals when
/// the worker's copy goes away (a copy starts from zero, so nothing counts twice).
struct checksum_sink {
  std::shared_ptr<totals> into;
  std::uint64_t rows = 0, sum = 0;
  explicit checksum_sink(std::shared_ptr<totals> t) : into(std::move(t)) {}
  checksum_sink(const checksum_sink& o) : into(o.into) {}
  checksum_sink(checksum_sink&& o) noexcept : into(o.into), rows(o.rows), sum(o.sum) { o.rows = o.sum = 0; }
  checksum_sink& operator=(const checksum_sink&) = delete;
  ~checksum_sink() {
    if (into && rows) {
      into->rows += rows;
      into->checksum += sum;
    }
  }
  template <class R>
  void operator()(const R& r) {
    ++rows;
    sum += row_hash(r);
  }
};

/// Keeps the compiler from dropping a row nobody reads.
template <class R>
inline void touch(const R& r) {
  asm volatile("" : : "g"(&r) : "memory");
}

/// The light sink: counts the rows, touches each.
struct count_sink {
  std::shared_ptr<totals> into;
  std::uint64_t rows = 0;
  explicit count_sink(std::shared_ptr<totals> t) : into(std::move(t)) {}
  count_sink(const count_sink& o) : into(o.into) {}
  count_sink(count_sink&& o) noexcept : into(o.into), rows(o.rows) { o.rows = 0; }
  count_sink& operator=(const count_sink&) = delete;
  ~count_sink() {
    if (into && rows) into->rows += rows;
  }
  template <class R>
  void operator()(const R& r) {
    ++rows;
    touch(r);
  }
};

inline double process_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct outcome {
  double seconds = 0, cpu_seconds = 0;
  std::uint64_t rows = 0, checksum = 0;
};

/// Runs pipeline (a job without its sink) into the checksum sink.
template <class Pipeline>
outcome execute(Pipeline pipeline, const options& o) {
  auto t = std::make_shared<totals>();
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  if (o.count_only) {
    auto job = std::move(pipeline) | spate::for_each(count_sink{t}).per_worker();
    if (o.unfused) spate::run_unfused(job);
    else spate::run(job, spate::parallelism{o.parallelism});
  } else {
    auto job = std::move(pipeline) | spate::for_each(checksum_sink{t}).per_worker();
    if (o.unfused) spate::run_unfused(job);
    else spate::run(job, spate::parallelism{o.parallelism});
  }
  outcome r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.cpu_seconds = process_cpu_seconds() - cpu0;
  r.rows = t->rows;
  r.checksum = t->checksum;
  return r;
}

// One per translation unit; each returns false for a query it does not know.
bool run_stateless(const options& o, outcome& r);
bool run_window(const options& o, outcome& r);
bool run_join(const options& o, outcome& r);
bool run_ops(const options& o, outcome& r);

}  // namespace nexmark
