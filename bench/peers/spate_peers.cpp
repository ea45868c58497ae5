// The spate side of bench/peers/run: the workloads of
// bench/peers/flink/java/FlinkPeers.java with the same records and logic,
// each run RUNS times in one process.
//
//   spate_peers gen-text DIR BYTES      writes DIR/text.txt (about BYTES of
//                                       generated words) and DIR/parts/part-0,
//                                       part-1 (the same text cut in two at a
//                                       line end, for Flink's file source);
//                                       prints "words=W lines=L"
//   spate_peers stateless N P RUNS
//   spate_peers wc_batch|wc_updates TEXT_DIR WORDS P RUNS
//   spate_peers tumbling N P RUNS
//   spate_peers net_wc HOST PORT WORDS P
//                                       Spark's NetworkWordCount: lines from a
//                                       TCP server, 1 s micro-batches, words
//                                       counted per batch; stops once WORDS
//                                       words were counted; prints a BATCH
//                                       line per batch (see below)
//
// Per run it prints one line
//   RESULT run=K records=R wall_s=W cpu_s=C checksum=X
// where cpu_s is the CPU time of the whole process (every thread,
// getrusage(RUSAGE_SELF)) across the run. The checksums are the same
// order-independent sums as the Java side's.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>

#include <spate/exec.hpp>
#include <spate/spate.hpp>
#include <spate/window.hpp>

namespace {
using namespace std::chrono_literals;

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::uint64_t fnv(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return h;
}

std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The text: lines of 4 to 16 words from a vocabulary of 5000 ("w0" ...),
// skewed towards the first words (the least of three uniform draws), single
// spaces, '\n' line ends; seeded, so the same bytes on every machine.
int gen_text(const std::string& dir, std::uint64_t bytes) {
  namespace fs = std::filesystem;
  fs::create_directories(fs::path(dir) / "parts");
  std::string text;
  text.reserve(bytes + 256);
  std::uint64_t seed = 17, words = 0, lines = 0;
  while (text.size() < bytes) {
    const auto n = 4 + splitmix(seed) % 13;
    for (std::uint64_t i = 0; i < n; ++i) {
      auto a = splitmix(seed) % 5000, b = splitmix(seed) % 5000, c = splitmix(seed) % 5000;
      auto w = std::min(a, std::min(b, c));
      if (i) text += ' ';
      text += 'w';
      text += std::to_string(w * 7919 % 100000);
    }
    text += '\n';
    words += n;
    ++lines;
  }
  auto write = [](const fs::path& p, std::string_view s) {
    std::ofstream f(p, std::ios::binary);
    f.write(s.data(), static_cast<std::streamsize>(s.size()));
    if (!f) throw std::runtime_error("cannot write " + p.string());
  };
  write(fs::path(dir) / "text.txt", text);
  const auto cut = text.find('\n', text.size() / 2) + 1;
  write(fs::path(dir) / "parts" / "part-0", std::string_view(text).substr(0, cut));
  write(fs::path(dir) / "parts" / "part-1", std::string_view(text).substr(cut));
  std::printf("words=%llu lines=%llu\n", static_cast<unsigned long long>(words), static_cast<unsigned long long>(lines));
  return 0;
}

// i in [0, N): x = i % 2001 - 1000; map x * 3; filter odd; sum.
std::uint64_t stateless(std::uint64_t n, spate::parallelism p) {
  long total = 0;
  spate::run(spate::generate([](std::uint64_t i) { return static_cast<long>(i % 2001) - 1000; }, n)
                 | spate::map([](long x) { return x * 3; }) | spate::filter([](long x) { return x % 2 != 0; })
                 | spate::sum_into(total),
             p);
  return static_cast<std::uint64_t>(total);
}

// A (word, count) contributes fnv(word) * (2 * count + 1).
struct wc_term {
  template <class R>
  std::uint64_t operator()(const R& r) const {
    return fnv(std::string_view(r.first)) * (2 * static_cast<std::uint64_t>(r.second) + 1);
  }
};

auto wc_job(const std::string& file, std::uint64_t& sum) {
  return spate::text_file(file) | spate::flat_map([](const std::string& l) { return spate::words(l); })
         | spate::key_by([](std::string_view w) { return w; }) | spate::count() | spate::map(wc_term{})
         | spate::sum_into(sum);
}

// Final counts (run_batch) or every update to the sink (run).
std::uint64_t wordcount(bool batch, const std::string& dir, spate::parallelism p) {
  std::uint64_t sum = 0;
  if (batch)
    spate::run_batch(wc_job(dir + "/text.txt", sum), p);
  else
    spate::run(wc_job(dir + "/text.txt", sum), p);
  return sum;
}

// event i: user = i * 2654435761 mod 2^32 mod 100000, ts = i / 1000 ms;
// bounded out of orderness 100 ms; key by user; 1 s tumbling event-time
// window; count. A result contributes (user * 1000003 + start) * (2 * count + 1).
struct click {
  std::uint32_t user;
  std::int64_t ts;
};
struct tumbling_term {
  template <class R>
  std::uint64_t operator()(const R& r) const {
    return (static_cast<std::uint64_t>(r.key) * 1000003u + static_cast<std::uint64_t>(spate::to_millis(r.start))) *
           (2 * static_cast<std::uint64_t>(r.value) + 1);
  }
};
std::uint64_t tumbling(std::uint64_t n, spate::parallelism p) {
  std::uint64_t sum = 0;
  spate::run(spate::generate(
                 [](std::uint64_t i) {
                   return click{static_cast<std::uint32_t>((i * 2654435761ull) % (1ull << 32) % 100'000),
                                static_cast<std::int64_t>(i / 1000)};
                 },
                 n)
                 | spate::with_watermarks(&click::ts, spate::bounded_out_of_orderness(100ms))
                 | spate::key_by(&click::user) | spate::window(spate::tumbling(1s), &click::ts) | spate::count()
                 | spate::map(tumbling_term{}) | spate::sum_into(sum),
             p);
  return sum;
}

// Spark Streaming's NetworkWordCount (examples/network_wordcount.cpp) with
// the checksum of SparkPeers.java: sum over batches of fnv(word) * count,
// which does not depend on where the batch boundaries fall. Per batch
//   BATCH records=R scheduling_ms=S processing_ms=T total_ms=D
// from ctx.on_batch_completed (processing_ms is work_time, what Spark calls
// processing time: docs/observability.md); then one RESULT line, cpu_s from
// ctx.start() to the last word counted.
struct net_acc {
  std::uint64_t words = 0, sum = 0;
};
int net_wc(const std::string& host, std::uint16_t port, std::uint64_t expected, spate::parallelism p) {
  std::atomic<std::uint64_t> words{0}, sum{0};
  spate::context ctx{spate::micro_batch{1s}, p};
  ctx.add(spate::socket_text(host, port) | spate::flat_map([](const std::string& line) { return spate::words(line); })
          | spate::key_by([](std::string_view word) { return word; }) | spate::window(spate::per_batch())
          | spate::count() | spate::for_each([&](const auto& r) {
              sum.fetch_add(fnv(std::string_view(r.key)) * static_cast<std::uint64_t>(r.value), std::memory_order_relaxed);
              words.fetch_add(static_cast<std::uint64_t>(r.value), std::memory_order_relaxed);
            }));
  ctx.on_batch_completed([](const spate::batch_metrics& b) {
    std::printf("BATCH records=%llu scheduling_ms=%lld processing_ms=%lld total_ms=%lld\n",
                static_cast<unsigned long long>(b.records), static_cast<long long>(b.scheduling_delay.count() / 1000),
                static_cast<long long>(b.work_time.count() / 1000), static_cast<long long>(b.total_delay.count() / 1000));
    std::fflush(stdout);
  });
  const double c0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  ctx.start();
  while (words.load() < expected) std::this_thread::sleep_for(5ms);
  const double cpu = cpu_seconds() - c0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("RESULT run=1 records=%llu wall_s=%.6f cpu_s=%.6f checksum=%lld\n",
              static_cast<unsigned long long>(words.load()), wall, cpu, static_cast<long long>(sum.load()));
  std::fflush(stdout);
  ctx.stop();
  ctx.await_termination();
  return 0;
}

int usage() {
  std::cerr << "usage: spate_peers gen-text DIR BYTES | stateless N P RUNS | wc_batch|wc_updates DIR WORDS P RUNS | "
               "tumbling N P RUNS | net_wc HOST PORT WORDS P\n";
  return 2;
}
}  // namespace

int main(int argc, char** argv) try {
  if (argc < 2) return usage();
  const std::string w = argv[1];
  if (w == "gen-text") {
    if (argc != 4) return usage();
    return gen_text(argv[2], std::stoull(argv[3]));
  }
  if (w == "net_wc") {
    if (argc != 6) return usage();
    return net_wc(argv[2], static_cast<std::uint16_t>(std::stoi(argv[3])), std::stoull(argv[4]),
                  spate::parallelism{static_cast<std::size_t>(std::stoul(argv[5]))});
  }
  const bool wc = w.rfind("wc_", 0) == 0;
  if (argc != (wc ? 6 : 5)) return usage();
  const std::string dir = wc ? argv[2] : "";
  const int a = wc ? 3 : 2;
  const std::uint64_t records = std::stoull(argv[a]);
  const spate::parallelism p{static_cast<std::size_t>(std::stoul(argv[a + 1]))};
  const int runs = std::stoi(argv[a + 2]);
  for (int run = 1; run <= runs; ++run) {
    const double c0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t sum = 0;
    if (w == "stateless")
      sum = stateless(records, p);
    else if (w == "tumbling")
      sum = tumbling(records, p);
    else if (w == "wc_batch" || w == "wc_updates")
      sum = wordcount(w == "wc_batch", dir, p);
    else
      return usage();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("RESULT run=%d records=%llu wall_s=%.6f cpu_s=%.6f checksum=%lld\n", run,
                static_cast<unsigned long long>(records), wall, cpu_seconds() - c0, static_cast<long long>(sum));
    std::fflush(stdout);
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "spate_peers: " << e.what() << '\n';
  return 1;
}
