// bench_kafka: consume -> upper-case -> produce against a real broker.
//   kafka/raw_consume_produce         a hand-written librdkafka loop
//   kafka/spate_consume_map_produce   the same job as a spate pipeline
// Both read the same input topic (SPATE_BENCH_KAFKA_MESSAGES messages of
// 100 bytes, default 1000000, in SPATE_BENCH_KAFKA_PARTITIONS partitions,
// default 1) to its end, and produce every record to an output topic with the
// same producer settings (idempotent, every delivery report awaited).
// The broker: SPATE_KAFKA_BOOTSTRAP, or the running scripts/kafka cluster.
//   scripts/kafka up
//   SPATE_KAFKA_BOOTSTRAP=$(scripts/kafka bootstrap) build/bench/bench_kafka
//
// The broker shares the machine, so wall-clock throughput swings from run to
// run. To compare the two in one run: both read the input once untimed first
// (the broker's fetch path and page cache warm), the repetitions (5 each) are
// interleaved at random unless --benchmark_enable_random_interleaving is
// given, the CPU column is the whole client process (every librdkafka
// thread), and the run ends with the ratio of the medians.
#include <benchmark/benchmark.h>
#include <librdkafka/rdkafka.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string_view>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

#include <spate/kafka.hpp>

#include "kafka_bootstrap.hpp"
#include <spate/spate.hpp>

namespace kafka = spate::kafka;

namespace {

std::string env(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::string bootstrap() {
  std::string b = spate_bench::kafka_bootstrap();
  if (b.empty()) throw std::runtime_error("no broker: run scripts/kafka up, or set SPATE_KAFKA_BOOTSTRAP");
  return b;
}

const long messages = std::stol(env("SPATE_BENCH_KAFKA_MESSAGES", "1000000"));
const int partitions = std::stoi(env("SPATE_BENCH_KAFKA_PARTITIONS", "1"));

kafka::config base_config() {
  kafka::config c(bootstrap());
  c.timeout = std::chrono::seconds(30);
  return c;
}

std::vector<std::string>& created_topics() {
  static std::vector<std::string> v;
  return v;
}
// A fresh topic; deleted when the benchmark ends. Unlimited retention: the
// test broker caps partitions at 64 MB, less than a million 100-byte records.
std::string new_topic(const std::string& prefix) {
  std::string t = "spate-bench-" + prefix + "-" + std::to_string(::getpid()) + "-" +
                  std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  kafka::admin(base_config()).create_topic(t, partitions, 1, {{"retention.bytes", "-1"}, {"retention.ms", "-1"}});
  created_topics().push_back(t);
  return t;
}

// The input topic, filled once per process.
const std::string& input_topic() {
  static const std::string topic = [] {
    auto cfg = base_config();
    std::string t = new_topic("in");
    auto p = kafka::shared_producer::acquire(kafka::config(cfg).set("linger.ms", "20").set("batch.size", "1000000"));
    auto rkt = p->topic(t);
    std::string value(100, 'x');
    for (long i = 0; i < messages; ++i) {
      std::string id = std::to_string(i);
      value.replace(0, id.size(), id);
      p->produce(rkt, RD_KAFKA_PARTITION_UA, nullptr, 0, value.data(), value.size(), nullptr, nullptr);
      if ((i & 1023) == 0) p->poll(0);
    }
    if (rd_kafka_flush(p->native(), 120000)) throw std::runtime_error("bench: filling the input topic timed out");
    // Untimed: read it once, so neither benchmark pays for the first fetches.
    long seen = 0;
    spate::run(kafka::source(cfg, {t}).until_offsets_end() | spate::map([](const std::string&) { return 1L; }) |
               spate::sum_into(seen));
    if (seen != messages) throw std::runtime_error("bench: the warm-up read " + std::to_string(seen) + " records");
    return t;
  }();
  return topic;
}

// The same settings for both: consumer and producer.
const std::map<std::string, std::string> producer_props{{"linger.ms", "5"}, {"enable.idempotence", "true"}};

inline void upper(std::string& s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

void raw_consume_produce(benchmark::State& state) {
  const std::string& in = input_topic();
  auto cfg = base_config();
  std::string out = new_topic("raw-out");
  for (auto _ : state) {
    char err[512];
    // Producer: idempotent, delivery reports counted.
    rd_kafka_conf_t* pc = rd_kafka_conf_new();
    rd_kafka_conf_set(pc, "bootstrap.servers", cfg.bootstrap.c_str(), err, sizeof err);
    for (auto& [k, v] : producer_props) rd_kafka_conf_set(pc, k.c_str(), v.c_str(), err, sizeof err);
    static long failed = 0;
    rd_kafka_conf_set_dr_msg_cb(pc, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
      if (m->err) ++failed;
    });
    rd_kafka_t* prod = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof err);
    rd_kafka_topic_t* ort = rd_kafka_topic_new(prod, out.c_str(), nullptr);
    {  // connect and learn the output topic before consuming (as the sink does when it is built)
      const rd_kafka_metadata_t* md = nullptr;
      if (rd_kafka_metadata(prod, 0, ort, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_metadata_destroy(md);
    }
    // Consumer: assigned partitions from the beginning, EOF events to stop.
    rd_kafka_conf_t* cc = rd_kafka_conf_new();
    rd_kafka_conf_set(cc, "bootstrap.servers", cfg.bootstrap.c_str(), err, sizeof err);
    rd_kafka_conf_set(cc, "group.id", "spate-bench-raw", err, sizeof err);
    rd_kafka_conf_set(cc, "enable.auto.commit", "false", err, sizeof err);
    rd_kafka_conf_set(cc, "enable.partition.eof", "true", err, sizeof err);
    rd_kafka_t* cons = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof err);
    rd_kafka_poll_set_consumer(cons);
    rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(l, in.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(cons, l);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_queue_t* q = rd_kafka_queue_get_consumer(cons);
    // Stop at the end offsets seen at the start (as the bounded source does).
    std::vector<std::int64_t> end(static_cast<std::size_t>(partitions));
    int open = 0;
    for (int p = 0; p < partitions; ++p) {
      std::int64_t lo = 0;
      rd_kafka_query_watermark_offsets(cons, in.c_str(), p, &lo, &end[static_cast<std::size_t>(p)], 10000);
      if (end[static_cast<std::size_t>(p)] > lo) ++open;
    }
    std::vector<rd_kafka_message_t*> buf(1024);
    long n = 0;
    std::string value;
    while (open > 0) {
      ssize_t got = rd_kafka_consume_batch_queue(q, 0, buf.data(), buf.size());
      if (got <= 0) {
        if (rd_kafka_message_t* m = rd_kafka_consume_queue(q, 10)) {
          buf[0] = m;
          got = 1;
        }
      }
      for (ssize_t i = 0; i < got; ++i) {
        rd_kafka_message_t* m = buf[static_cast<std::size_t>(i)];
        if (!m->err) {
          if (m->offset + 1 == end[static_cast<std::size_t>(m->partition)]) --open;
          value.assign(static_cast<const char*>(m->payload), m->len);
          upper(value);
          while (rd_kafka_produce(ort, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, value.data(), value.size(), m->key,
                                  m->key_len, nullptr) == -1)
            rd_kafka_poll(prod, 5);
          if ((++n & 1023) == 0) rd_kafka_poll(prod, 0);
        }
        rd_kafka_message_destroy(m);
      }
    }
    rd_kafka_flush(prod, 120000);
    rd_kafka_queue_destroy(q);
    rd_kafka_consumer_close(cons);
    rd_kafka_destroy(cons);
    rd_kafka_topic_destroy(ort);
    rd_kafka_destroy(prod);
    if (n != messages || failed) state.SkipWithError("raw: wrong count or failed deliveries");
  }
  state.SetItemsProcessed(state.iterations() * messages);
  state.counters["messages"] = static_cast<double>(messages);
}

void spate_consume_map_produce(benchmark::State& state) {
  const std::string& in = input_topic();
  auto cfg = base_config();
  std::string out = new_topic("spate-out");
  auto pcfg = cfg;
  for (auto& [k, v] : producer_props) pcfg.set(k, v);
  for (auto _ : state) {
    long n = 0;
    // [doc:bench]
    auto job = kafka::source(cfg, {in}).until_offsets_end()
             | spate::map([](std::string s) {
                 upper(s);
                 return s;
               })
             | spate::inspect([&](const std::string&) { ++n; })
             | kafka::sink(pcfg, out).delivery_guarantee(kafka::delivery::at_least_once);
    spate::run(job);
    // [end]
    if (n != messages) state.SkipWithError("spate: wrong count");
  }
  state.SetItemsProcessed(state.iterations() * messages);
  state.counters["messages"] = static_cast<double>(messages);
}

}  // namespace

BENCHMARK(raw_consume_produce)->Name("kafka/raw_consume_produce")->Iterations(1)->Repetitions(5)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(spate_consume_map_produce)->Name("kafka/spate_consume_map_produce")->Iterations(1)->Repetitions(5)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();

namespace {
// The console output, plus the medians kept to print spate ÷ raw at the end.
struct ratio_reporter : benchmark::ConsoleReporter {
  ratio_reporter() : ConsoleReporter(::isatty(STDOUT_FILENO) ? OO_ColorTabular : OO_Tabular) {}
  struct median {
    double items_per_second = 0, cpu_ms = 0;
  };
  std::map<std::string, median> medians;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      if (r.aggregate_name != "median") continue;
      std::string name = r.run_name.function_name;
      auto it = r.counters.find("items_per_second");
      medians[name] = {it == r.counters.end() ? 0.0 : double(it->second), r.GetAdjustedCPUTime()};
    }
    ConsoleReporter::ReportRuns(runs);
  }
};
}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  bool order_given = false;
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]).rfind("--benchmark_enable_random_interleaving", 0) == 0) order_given = true;
  char interleave[] = "--benchmark_enable_random_interleaving=true";
  if (!order_given) args.push_back(interleave);
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  ratio_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  auto raw = reporter.medians.find("kafka/raw_consume_produce");
  auto sp = reporter.medians.find("kafka/spate_consume_map_produce");
  if (raw != reporter.medians.end() && sp != reporter.medians.end() && raw->second.items_per_second > 0)
    std::printf("spate / raw (medians): throughput %.2fx, client CPU %.2fx (goal: throughput >= 0.90x)\n",
                sp->second.items_per_second / raw->second.items_per_second, sp->second.cpu_ms / raw->second.cpu_ms);
  try {
    kafka::admin a(base_config());
    for (auto& t : created_topics()) a.delete_topic(t);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_kafka: could not delete the benchmark topics: %s\n", e.what());
  }
}
