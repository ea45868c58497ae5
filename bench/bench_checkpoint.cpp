// bench_checkpoint: what checkpointing costs, each case against its baseline
// in the same run.
//   checkpoint/keyed/none/P       generate N records (key i % 1'000'000) ->
//                                 key_by -> count -> map(count) -> sum_into,
//                                 in a context with continuous{} and
//                                 parallelism{P}: 1 M keys of state
//   checkpoint/keyed/every_1s/P   the same context with checkpointing{.interval
//                                 = 1s, .folder = a fresh temporary folder}
//   checkpoint/keyed/stall        the checkpointed job at P = 1 with a sink
//                                 that reads the clock every 1024th record:
//                                 how long the job thread stops per checkpoint
//   checkpoint/kafka/at_least_once  Kafka -> key_by -> count -> Kafka under 1 s
//                                 checkpoints, the at-least-once sink
//   checkpoint/kafka/exactly_once   the same with the exactly-once sink (one
//                                 transaction per checkpoint)
// The Kafka input: SPATE_BENCH_CHECKPOINT_KAFKA_MESSAGES values "k<key> <seq>"
// (default 6000000, 10,000 keys) in SPATE_BENCH_CHECKPOINT_KAFKA_PARTITIONS
// partitions (default 2), filled and read once untimed; every run writes to a
// fresh output topic with a fresh transactional id and checkpoint folder. The
// source's consumer has queued.min.messages = 1000000 (see source_config).
// Kafka runs are timed to the final checkpoint's completion (all output
// delivered, and committed for exactly-once); teardown_ms is what follows.
// The Kafka cases run only when a broker is found the way bench_kafka finds
// one: SPATE_KAFKA_BOOTSTRAP, SPATE_KAFKA_BOOTSTRAP_FILE, or the running
// scripts/kafka cluster; otherwise they are skipped with a line saying so.
//   SPATE_KAFKA_BOOTSTRAP=$(scripts/kafka up | tail -n1) build/bench/bench_checkpoint
//
// N is chosen so that the input lasts about SPATE_BENCH_CHECKPOINT_SECONDS
// (default 8) of the baseline (the faster of two untimed calibration runs per
// P; longer when the machine gets busier), or is
// SPATE_BENCH_CHECKPOINT_RECORDS. The job ends by itself (bounded input), and
// a checkpointed job then writes its final checkpoint, inside the timed run.
// Every run checks its result (the sum of all running counts) against the
// closed form.
//
// Each case is Iterations(1) x 3 repetitions (unless --benchmark_repetitions
// is given), interleaved at random (unless
// --benchmark_enable_random_interleaving is given), timed from ctx.start()
// to the end of await_termination(). Counters: items_per_second (records in
// per second of wall time), cpu_ns_per_record (user + system CPU of the whole
// process over the run, getrusage), and for checkpointed runs:
//   checkpoints      ctx.checkpoints()->completed() (the final one included)
//   periodic         completed checkpoints that carry state (not the final)
//   chk_MB           bytes in the newest periodic chk-<n>/ (state files and
//                    MANIFEST), read in the completion listener
//   chk_ms, chk_ms_max  trigger -> complete of the periodic checkpoints, mean
//                    and max. The trigger time is not exposed; it is
//                    reconstructed from the coordinator's schedule (first
//                    trigger one interval after start, then max(previous
//                    trigger + interval, previous completion)), so it is
//                    accurate to the checkpoint thread's 5 ms poll and the
//                    few ms start() takes before the coordinator exists.
//   write_ms         first state file's mtime -> MANIFEST's mtime: most of
//                    the write step (the first file's own write and the
//                    manifest's fsync are outside the span).
// The run ends with the ratios of the medians.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spate/exec.hpp>
#include <spate/spate.hpp>

#ifdef SPATE_BENCH_WITH_KAFKA
#include <librdkafka/rdkafka.h>

#include <spate/kafka.hpp>

#include "kafka_bootstrap.hpp"
#endif

namespace {
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

std::string env(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

double process_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// A fresh folder under the temporary directory; removed with the object.
struct temp_folder {
  fs::path path;
  temp_folder() {
    static std::atomic<int> n{0};
    path = fs::temp_directory_path() /
           ("spate-bench-checkpoint-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::remove_all(path);
  }
  temp_folder(const temp_folder&) = delete;
  temp_folder& operator=(const temp_folder&) = delete;
  ~temp_folder() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// What the completion listener sees of each checkpoint, and the figures it
// gives at the end of a run.
class checkpoint_log {
 public:
  checkpoint_log(fs::path folder, std::chrono::milliseconds interval) : folder_(std::move(folder)), interval_(interval) {}

  void started() { start_ = steady::now(); }
  // On the checkpoint thread, after checkpoint n is durable, committed and pruned.
  void completed(spate::checkpoint_id n) {
    const auto now = steady::now();
    std::uint64_t bytes = 0;
    std::size_t state_files = 0;
    fs::file_time_type first_state = fs::file_time_type::max(), manifest{};
    bool has_manifest = false;
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(folder_ / ("chk-" + std::to_string(n)), ec)) {
      if (!e.is_regular_file(ec)) continue;
      bytes += e.file_size(ec);
      auto t = e.last_write_time(ec);
      if (e.path().filename() == "MANIFEST") {
        manifest = t;
        has_manifest = true;
      } else {
        ++state_files;
        first_state = std::min(first_state, t);
      }
    }
    std::lock_guard lock(m_);
    // The coordinator's schedule: the first trigger one interval after the
    // start, then an interval after the previous trigger, but never before
    // the previous checkpoint completed.
    const auto trigger = std::max(last_trigger_ ? *last_trigger_ + interval_ : start_ + interval_,
                                  last_complete_.value_or(start_));
    last_trigger_ = trigger;
    last_complete_ = now;
    if (state_files == 0) return;  // the final checkpoint of a finished job: a manifest only
    entry e;
    e.bytes = bytes;
    e.files = state_files;
    e.trigger = trigger;
    e.complete = now;
    e.ms = std::chrono::duration<double, std::milli>(now - trigger).count();
    if (has_manifest) e.write_ms = std::chrono::duration<double, std::milli>(manifest - first_state).count();
    entries_.push_back(e);
  }

  void report(benchmark::State& state) const {
    std::lock_guard lock(m_);
    state.counters["periodic"] = static_cast<double>(entries_.size());
    if (entries_.empty()) return;
    double sum = 0, mx = 0, write = 0;
    for (const auto& e : entries_) {
      sum += e.ms;
      mx = std::max(mx, e.ms);
      write += e.write_ms;
    }
    const auto n = static_cast<double>(entries_.size());
    state.counters["chk_ms"] = sum / n;
    state.counters["chk_ms_max"] = mx;
    state.counters["write_ms"] = write / n;
    state.counters["chk_MB"] = static_cast<double>(entries_.back().bytes) / 1e6;
    state.counters["chk_files"] = static_cast<double>(entries_.back().files);
  }

  // When the newest checkpoint (after the run: the final one) completed.
  std::optional<steady::time_point> last_completion() const {
    std::lock_guard lock(m_);
    return last_complete_;
  }
  // (trigger, complete) of each periodic checkpoint.
  std::vector<std::pair<steady::time_point, steady::time_point>> windows() const {
    std::lock_guard lock(m_);
    std::vector<std::pair<steady::time_point, steady::time_point>> w;
    for (const auto& e : entries_) w.emplace_back(e.trigger, e.complete);
    return w;
  }

 private:
  struct entry {
    std::uint64_t bytes = 0;
    std::size_t files = 0;
    double ms = 0, write_ms = 0;
    steady::time_point trigger, complete;
  };
  fs::path folder_;
  std::chrono::milliseconds interval_;
  mutable std::mutex m_;
  steady::time_point start_{};
  std::optional<steady::time_point> last_trigger_, last_complete_;
  std::vector<entry> entries_;
};

constexpr auto interval = 1s;

// --- a keyed count over 1 M keys ---------------------------------------------
constexpr std::uint64_t keys = 1'000'000;

// The sum of every running count the job emits: key k occurs c_k times and
// emits 1, 2, ..., c_k.
std::int64_t expected_sum(std::uint64_t n) {
  const std::uint64_t q = n / keys, r = n % keys;
  auto tri = [](std::uint64_t c) { return static_cast<std::int64_t>(c * (c + 1) / 2); };
  return static_cast<std::int64_t>(r) * tri(q + 1) + static_cast<std::int64_t>(keys - r) * tri(q);
}

auto keyed_job(std::uint64_t n, std::int64_t& total) {
  return spate::generate([](std::uint64_t i) { return i % keys; }, n)
         | spate::key_by([](std::uint64_t k) { return k; }) | spate::count()
         | spate::map([](const auto& kc) { return static_cast<std::int64_t>(kc.second); }) | spate::sum_into(total);
}

struct run_result {
  double seconds = 0, cpu = 0;
  std::size_t completed = 0;
};

// One run of the keyed job at parallelism p, with checkpoints when log is set.
run_result run_keyed(std::uint64_t n, std::size_t p, std::int64_t& total, checkpoint_log* log, const fs::path* folder) {
  run_result r;
  auto go = [&](spate::context& ctx) {
    ctx.add(keyed_job(n, total));
    if (log) ctx.checkpoints()->add_completion_listener([log](spate::checkpoint_id id) { log->completed(id); });
    const double cpu0 = process_cpu_seconds();
    const auto t0 = steady::now();
    if (log) log->started();
    ctx.start();
    ctx.await_termination();
    r.seconds = std::chrono::duration<double>(steady::now() - t0).count();
    r.cpu = process_cpu_seconds() - cpu0;
    if (ctx.checkpoints()) r.completed = ctx.checkpoints()->completed();
  };
  if (log) {
    spate::context ctx{spate::continuous{}, spate::parallelism{p},
                       spate::checkpointing{.interval = interval, .folder = *folder}};
    go(ctx);
  } else {
    spate::context ctx{spate::continuous{}, spate::parallelism{p}};
    go(ctx);
  }
  return r;
}

// Records for about SPATE_BENCH_CHECKPOINT_SECONDS of baseline input at p.
std::uint64_t keyed_records(std::size_t p) {
  static std::map<std::size_t, std::uint64_t> cache;
  if (auto it = cache.find(p); it != cache.end()) return it->second;
  std::uint64_t n = std::stoull(env("SPATE_BENCH_CHECKPOINT_RECORDS", "0"));
  if (n == 0) {
    const double seconds = std::stod(env("SPATE_BENCH_CHECKPOINT_SECONDS", "8"));
    // The faster of two probes: a probe slowed down by other work on the
    // machine would give too short a run when the machine is free again.
    constexpr std::uint64_t probe = 20'000'000;
    double best = 1e9;
    for (int i = 0; i < 2; ++i) {
      std::int64_t total = 0;
      best = std::min(best, run_keyed(probe, p, total, nullptr, nullptr).seconds);
    }
    n = static_cast<std::uint64_t>(static_cast<double>(probe) / best * seconds);
    n = std::max<std::uint64_t>(keys * 4, n / keys * keys);
  }
  return cache[p] = n;
}

void keyed(benchmark::State& state, bool checkpointed) {
  const auto p = static_cast<std::size_t>(state.range(0));
  const std::uint64_t n = keyed_records(p);
  double cpu = 0;
  std::size_t completed = 0;
  std::unique_ptr<checkpoint_log> log;
  for (auto _ : state) {
    std::int64_t total = 0;
    temp_folder folder;
    if (checkpointed) log = std::make_unique<checkpoint_log>(folder.path, interval);
    auto r = run_keyed(n, p, total, log.get(), &folder.path);
    state.SetIterationTime(r.seconds);
    cpu += r.cpu;
    completed += r.completed;
    if (total != expected_sum(n)) {
      state.SkipWithError("the sum of the running counts is wrong");
      return;
    }
  }
  const auto it = static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.counters["records"] = static_cast<double>(n);
  state.counters["cpu_ns_per_record"] = cpu * 1e9 / (it * static_cast<double>(n));
  if (checkpointed) {
    state.counters["checkpoints"] = static_cast<double>(completed) / it;
    log->report(state);
  }
}
void keyed_none(benchmark::State& state) { keyed(state, false); }
void keyed_every_1s(benchmark::State& state) { keyed(state, true); }

// How long the job thread stops for a checkpoint (the snapshot of the 1 M
// keys into strings happens on it): the same checkpointed job at P = 1, its
// sink a for_each that reads the clock every 1024th record. stall_ms: the
// longest gap between two readings inside each checkpoint's trigger ->
// complete window, mean over the periodic checkpoints; gap_ms: the same
// between checkpoints (complete -> next trigger), the floor that scheduling
// on the shared cores gives without any snapshot.
void keyed_stall(benchmark::State& state) {
  const std::uint64_t n = keyed_records(1);
  std::unique_ptr<checkpoint_log> log;
  std::vector<std::pair<steady::time_point, double>> gaps;  // (end of the gap, its length in ms)
  for (auto _ : state) {
    temp_folder folder;
    log = std::make_unique<checkpoint_log>(folder.path, interval);
    gaps.clear();
    gaps.reserve(1 << 16);
    std::uint64_t seen = 0;
    steady::time_point last{};
    spate::context ctx{spate::continuous{}, spate::checkpointing{.interval = interval, .folder = folder.path}};
    ctx.add(spate::generate([](std::uint64_t i) { return i % keys; }, n)
            | spate::key_by([](std::uint64_t k) { return k; }) | spate::count()
            | spate::for_each([&](const auto&) {
                if ((++seen & 1023) != 0) return;
                const auto now = steady::now();
                const double ms = std::chrono::duration<double, std::milli>(now - last).count();
                if (last != steady::time_point{} && ms > 1.0 && gaps.size() < gaps.capacity()) gaps.emplace_back(now, ms);
                last = now;
              }));
    ctx.checkpoints()->add_completion_listener([l = log.get()](spate::checkpoint_id id) { l->completed(id); });
    const auto t0 = steady::now();
    log->started();
    ctx.start();
    ctx.await_termination();
    state.SetIterationTime(std::chrono::duration<double>(steady::now() - t0).count());
    if (seen != n) {
      state.SkipWithError("wrong count");
      return;
    }
  }
  const auto w = log->windows();
  double stall = 0, between = 0;
  std::size_t between_n = 0;
  for (std::size_t k = 0; k < w.size(); ++k) {
    double in = 0, out = 0;
    for (const auto& [end, ms] : gaps) {
      const auto begin = end - std::chrono::duration_cast<steady::duration>(std::chrono::duration<double, std::milli>(ms));
      if (end > w[k].first && begin < w[k].second) in = std::max(in, ms);
      if (k + 1 < w.size() && begin >= w[k].second && end <= w[k + 1].first) out = std::max(out, ms);
    }
    stall += in;
    if (k + 1 < w.size()) {
      between += out;
      ++between_n;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.counters["periodic"] = static_cast<double>(w.size());
  if (!w.empty()) state.counters["stall_ms"] = stall / static_cast<double>(w.size());
  if (between_n) state.counters["gap_ms"] = between / static_cast<double>(between_n);
}

#ifdef SPATE_BENCH_WITH_KAFKA
// --- Kafka -> keyed count -> Kafka --------------------------------------------
namespace kafka = spate::kafka;
using text = spate::serde::string_schema;

std::string bootstrap() { return spate_bench::kafka_bootstrap(); }

const long kafka_messages = std::stol(env("SPATE_BENCH_CHECKPOINT_KAFKA_MESSAGES", "6000000"));
const int kafka_partitions = std::stoi(env("SPATE_BENCH_CHECKPOINT_KAFKA_PARTITIONS", "2"));
constexpr long kafka_keys = 10'000;

kafka::config base_config() {
  kafka::config c(bootstrap());
  c.timeout = std::chrono::seconds(30);
  return c;
}
// The source's consumer. librdkafka before 2.1 waits a fixed second before
// fetching again once a partition's local queue holds queued.min.messages
// (default 100000; 2.1 made the wait fetch.queue.backoff.ms): with the
// default, this job is paced at about that many records per partition per
// second and ends on a whole second, which hides what the sink costs.
kafka::config source_config() { return kafka::config(base_config()).set("queued.min.messages", "1000000"); }

std::vector<std::string>& created_topics() {
  static std::vector<std::string> v;
  return v;
}
std::string new_topic(const std::string& prefix) {
  static int n = 0;
  std::string t = "spate-bench-checkpoint-" + prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
  kafka::admin(base_config()).create_topic(t, kafka_partitions, 1, {{"retention.bytes", "-1"}, {"retention.ms", "-1"}});
  created_topics().push_back(t);
  return t;
}

// The input topic ("k<key> <seq>", key = seq % 10'000), filled and read once.
const std::string& input_topic() {
  static const std::string topic = [] {
    auto cfg = base_config();
    std::string t = new_topic("in");
    auto p = kafka::shared_producer::acquire(kafka::config(cfg).set("linger.ms", "20").set("batch.size", "1000000"));
    auto rkt = p->topic(t);
    for (long i = 0; i < kafka_messages; ++i) {
      std::string v = "k" + std::to_string(i % kafka_keys) + " " + std::to_string(i);
      p->produce(rkt, RD_KAFKA_PARTITION_UA, nullptr, 0, v.data(), v.size(), nullptr, nullptr);
      if ((i & 1023) == 0) p->poll(0);
    }
    if (rd_kafka_flush(p->native(), 120000)) throw std::runtime_error("bench: filling the input topic timed out");
    long seen = 0;  // untimed: warm the broker's fetch path and page cache
    spate::run(kafka::source(source_config(), {t}).until_offsets_end() | spate::map([](const std::string&) { return 1L; }) |
               spate::sum_into(seen));
    if (seen != kafka_messages) throw std::runtime_error("bench: the warm-up read " + std::to_string(seen) + " records");
    return t;
  }();
  return topic;
}

void kafka_job(benchmark::State& state, kafka::delivery guarantee) {
  const std::string& in = input_topic();
  const auto cfg = base_config(), scfg = source_config();
  static int run = 0;
  double cpu = 0, teardown = 0;
  std::size_t completed = 0;
  std::unique_ptr<checkpoint_log> log;
  for (auto _ : state) {
    const std::string out = new_topic("out");
    temp_folder folder;
    log = std::make_unique<checkpoint_log>(folder.path, interval);
    long n = 0;
    spate::context ctx{spate::continuous{},
                       spate::checkpointing{.interval = interval, .folder = folder.path, .timeout = 30s}};
    ctx.add(kafka::source(scfg, {in}, kafka::string_values()).until_offsets_end()
            | spate::map([](const std::string& v) { return v.substr(0, v.find(' ')); })
            | spate::key_by([](const std::string& k) { return k; }) | spate::count()
            | spate::map([](const std::pair<std::string, std::int64_t>& kc) {
                return std::pair<std::string, std::string>(kc.first, std::to_string(kc.second));
              })
            | spate::inspect([&n](const auto&) { ++n; })
            | kafka::sink(cfg, out, spate::serde::key_value<text, text>{})
                  .delivery_guarantee(guarantee)
                  .transactional_id_prefix("spate-bench-checkpoint-" + std::to_string(::getpid()) + "-" +
                                           std::to_string(run++)));
    ctx.checkpoints()->add_completion_listener([l = log.get()](spate::checkpoint_id id) { l->completed(id); });
    const double cpu0 = process_cpu_seconds();
    const auto t0 = steady::now();
    log->started();
    ctx.start();
    ctx.await_termination();
    const auto t1 = steady::now();
    cpu += process_cpu_seconds() - cpu0;
    // Timed to the final checkpoint's completion: every output record is
    // delivered (and, exactly-once, committed) by then. What follows, the
    // closing of the consumer and the producer, is teardown_ms.
    const auto final_done = log->last_completion().value_or(t1);
    state.SetIterationTime(std::chrono::duration<double>(final_done - t0).count());
    teardown += std::chrono::duration<double, std::milli>(t1 - final_done).count();
    completed += ctx.checkpoints()->completed();
    if (n != kafka_messages) {
      state.SkipWithError(("wrong count: " + std::to_string(n)).c_str());
      return;
    }
  }
  const auto it = static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kafka_messages);
  state.counters["records"] = static_cast<double>(kafka_messages);
  state.counters["cpu_ns_per_record"] = cpu * 1e9 / (it * static_cast<double>(kafka_messages));
  state.counters["checkpoints"] = static_cast<double>(completed) / it;
  state.counters["teardown_ms"] = teardown / it;
  log->report(state);
}
void kafka_at_least_once(benchmark::State& state) { kafka_job(state, kafka::delivery::at_least_once); }
void kafka_exactly_once(benchmark::State& state) { kafka_job(state, kafka::delivery::exactly_once); }

// Registers the Kafka cases if a broker answers; says why not otherwise.
void register_kafka() {
  const std::string b = bootstrap();
  if (b.empty()) {
    std::printf("checkpoint/kafka: skipped: no broker (run scripts/kafka up, or set SPATE_KAFKA_BOOTSTRAP)\n");
    return;
  }
  try {
    kafka::admin a(base_config());
    (void)a.broker_config("transaction.max.timeout.ms");  // the input topic is filled at the first Kafka run
  } catch (const std::exception& e) {
    std::printf("checkpoint/kafka: skipped: the broker at %s does not answer: %s\n", b.c_str(), e.what());
    return;
  }
  for (auto [name, fn] : {std::pair{"checkpoint/kafka/at_least_once", &kafka_at_least_once},
                          std::pair{"checkpoint/kafka/exactly_once", &kafka_exactly_once}})
    benchmark::RegisterBenchmark(name, fn)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond)
        ->UseManualTime();
}
void delete_kafka_topics() {
  if (created_topics().empty()) return;
  try {
    kafka::admin a(base_config());
    for (auto& t : created_topics()) a.delete_topic(t);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_checkpoint: could not delete the benchmark topics: %s\n", e.what());
  }
}
#else
void register_kafka() { std::printf("checkpoint/kafka: skipped: built without spate::kafka\n"); }
void delete_kafka_topics() {}
#endif
}  // namespace

BENCHMARK(keyed_none)->Name("checkpoint/keyed/none")->Arg(1)->Arg(2)->Iterations(1)->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK(keyed_every_1s)->Name("checkpoint/keyed/every_1s")->Arg(1)->Arg(2)->Iterations(1)->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK(keyed_stall)->Name("checkpoint/keyed/stall")->Iterations(1)->Unit(benchmark::kMillisecond)->UseManualTime();

namespace {
// The console output, plus the medians kept for the ratios at the end.
struct ratio_reporter : benchmark::ConsoleReporter {
  ratio_reporter() : ConsoleReporter(::isatty(STDOUT_FILENO) ? OO_ColorTabular : OO_Tabular) {}
  // run name -> counter -> median (or the value of the one run, without repetitions)
  std::map<std::string, std::map<std::string, double>> medians;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      const bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if (!median && (r.run_type != Run::RT_Iteration || r.repetitions > 1)) continue;
      auto& m = medians[r.run_name.function_name + (r.run_name.args.empty() ? "" : "/" + r.run_name.args)];
      for (const auto& [k, v] : r.counters) m[k] = double(v);
    }
    ConsoleReporter::ReportRuns(runs);
  }
  const std::map<std::string, double>* find(const std::string& name) const {
    auto it = medians.find(name);
    return it == medians.end() ? nullptr : &it->second;
  }
};
double get(const std::map<std::string, double>& m, const char* k) {
  auto it = m.find(k);
  return it == m.end() ? 0.0 : it->second;
}
}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  bool order_given = false, reps_given = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]).rfind("--benchmark_enable_random_interleaving", 0) == 0) order_given = true;
    if (std::string_view(argv[i]).rfind("--benchmark_repetitions", 0) == 0) reps_given = true;
  }
  char interleave[] = "--benchmark_enable_random_interleaving=true";
  if (!order_given) args.push_back(interleave);
  char reps[] = "--benchmark_repetitions=3";
  if (!reps_given) args.push_back(reps);
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  register_kafka();
  ratio_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  std::printf("\nratios of the medians:\n");
  for (const char* p : {"1", "2"}) {
    auto base = reporter.find(std::string("checkpoint/keyed/none/") + p);
    auto chk = reporter.find(std::string("checkpoint/keyed/every_1s/") + p);
    if (!base || !chk || get(*base, "items_per_second") == 0) continue;
    std::printf(
        "keyed P=%s: 1 s checkpoints / none: throughput %.3fx (goal >= 0.95x), CPU per record %.3fx; "
        "%.0f checkpoints (%.0f with state) of %.1f MB, %.0f ms mean (max %.0f ms), write %.0f ms\n",
        p, get(*chk, "items_per_second") / get(*base, "items_per_second"),
        get(*chk, "cpu_ns_per_record") / get(*base, "cpu_ns_per_record"), get(*chk, "checkpoints"),
        get(*chk, "periodic"), get(*chk, "chk_MB"), get(*chk, "chk_ms"), get(*chk, "chk_ms_max"),
        get(*chk, "write_ms"));
  }
  if (auto st = reporter.find("checkpoint/keyed/stall"))
    std::printf("keyed P=1: the job thread stops %.0f ms per checkpoint (longest gap in the sink's clock readings "
                "during a checkpoint; %.0f ms between checkpoints)\n",
                get(*st, "stall_ms"), get(*st, "gap_ms"));
  auto alo = reporter.find("checkpoint/kafka/at_least_once");
  auto eos = reporter.find("checkpoint/kafka/exactly_once");
  if (alo && eos && get(*alo, "items_per_second") > 0)
    std::printf("kafka: exactly-once / at-least-once under 1 s checkpoints: throughput %.3fx (goal >= 0.90x), "
                "CPU per record %.3fx\n",
                get(*eos, "items_per_second") / get(*alo, "items_per_second"),
                get(*eos, "cpu_ns_per_record") / get(*alo, "cpu_ns_per_record"));
  delete_kafka_topics();
}
