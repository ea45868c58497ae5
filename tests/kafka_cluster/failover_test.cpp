// A broker crash under a running spate pipeline, on the three-broker kafka3
// fixture: topics with 3 partitions, replication factor 3 and
// min.insync.replicas=2, so the cluster keeps accepting acks=all writes with
// one broker gone. Each case SIGKILLs a broker that leads a partition of the
// output topic while the job runs, lets the job go on without it (at
// at_least_once until it has made progress, at exactly_once for 2 s),
// restarts it (scripts/kafka start-broker, which waits for the old process,
// ports and lock to be released and retries a start that exits), and checks
// what reached the output:
//   at_least_once  every input record is there (duplicates allowed);
//   exactly_once   every input record is there exactly once (read_committed),
//                  with the killed broker chosen so it is NOT the transaction
//                  coordinator of the sink's transactional id.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <exception>
#include <map>
#include <set>
#include <spate/spate.hpp>
#include <string>
#include <thread>
#include <vector>

#include "../kafka/kafka_support.hpp"

namespace kafka = spate::kafka;
using namespace std::chrono_literals;

namespace {

constexpr int partitions = 3;
constexpr int n = 30000;       // records, n / 3 per input partition
constexpr double rate = 1700;  // records/s per partition: about 6 s of work without a failure

int broker_count() {
  auto b = spate_test::kafka::bootstrap();
  return 1 + static_cast<int>(std::count(b.begin(), b.end(), ','));
}

kafka::config cluster_cfg() {
  auto c = kt::cfg();
  c.timeout = 30s;
  c.set("reconnect.backoff.max.ms", "500");  // reconnect soon after the broker is back
  return c;
}

std::string replicated_topic(kafka::admin& a, const std::string& prefix) {
  auto t = kt::topic(prefix);
  a.create_topic(t, partitions, 3, {{"min.insync.replicas", "2"}});
  return t;
}

kafka::detail::metadata_ptr metadata(kafka::admin& a, const char* topic = nullptr) {
  return kafka::detail::fetch_metadata(a.native(), a.cfg(), "kafka_cluster_test", topic);
}

/// The leader of every partition of topic (index = partition id).
std::vector<int> leaders(kafka::admin& a, const std::string& topic) {
  auto md = metadata(a, topic.c_str());
  REQUIRE(md->topic_cnt == 1);
  const auto& t = md->topics[0];
  REQUIRE(t.err == RD_KAFKA_RESP_ERR_NO_ERROR);
  std::vector<int> out(static_cast<std::size_t>(t.partition_cnt), -1);
  for (int i = 0; i < t.partition_cnt; ++i) out[static_cast<std::size_t>(t.partitions[i].id)] = t.partitions[i].leader;
  return out;
}

/// Waits until all three brokers are in the metadata and every partition of
/// every topic (the internal ones too) has a leader and its full ISR, so a
/// case starts on a healthy cluster whatever the case before it did.
void wait_healthy(kafka::admin& a, std::chrono::seconds timeout = 180s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string why;
  for (;;) {
    why.clear();
    try {
      auto md = metadata(a);
      if (md->broker_cnt != 3) why = std::to_string(md->broker_cnt) + " brokers in the metadata";
      for (int i = 0; i < md->topic_cnt && why.empty(); ++i) {
        const auto& t = md->topics[i];
        for (int j = 0; j < t.partition_cnt && why.empty(); ++j) {
          const auto& p = t.partitions[j];
          if (p.leader < 0 || p.isr_cnt < p.replica_cnt)
            why = std::string(t.topic) + "/" + std::to_string(p.id) + ": leader " + std::to_string(p.leader) + ", " +
                  std::to_string(p.isr_cnt) + " of " + std::to_string(p.replica_cnt) + " replicas in sync";
        }
      }
    } catch (const std::exception& e) {
      why = e.what();
    }
    if (why.empty()) return;
    if (std::chrono::steady_clock::now() > deadline) FAIL("the cluster is not healthy after " << timeout.count() << " s: " << why);
    std::this_thread::sleep_for(200ms);
  }
}

/// The broker coordinating transactions of `txn_id`: the leader of partition
/// abs(javaHashCode(txn_id)) % partitions of __transaction_state (Kafka's
/// TransactionStateManager.partitionFor). The topic must exist (a producer
/// with that id has run init_transactions).
int transaction_coordinator(kafka::admin& a, const std::string& txn_id) {
  std::uint32_t h = 0;
  for (unsigned char c : txn_id) h = 31 * h + c;  // String.hashCode (ASCII), modulo 2^32
  auto s = static_cast<std::int32_t>(h);
  std::int64_t abs = s == INT32_MIN ? 0 : (s < 0 ? -static_cast<std::int64_t>(s) : s);  // Utils.abs
  auto l = leaders(a, "__transaction_state");
  REQUIRE(!l.empty());
  return l[static_cast<std::size_t>(abs % static_cast<std::int64_t>(l.size()))];
}

/// Creates __transaction_state (on the first FindCoordinator) and registers
/// txn_id, so its coordinator can be looked up before the job starts.
void init_transactional_id(const std::string& txn_id) {
  kafka::config c = cluster_cfg();
  c.set("transactional.id", txn_id);
  auto rk = kafka::detail::make_handle(RD_KAFKA_PRODUCER, kafka::detail::make_conf(c, {}, {}, "test"), "test");
  rd_kafka_error_t* e = rd_kafka_init_transactions(rk.get(), 60000);
  INFO((e ? rd_kafka_error_string(e) : ""));
  if (e) rd_kafka_error_destroy(e);
  REQUIRE(e == nullptr);
}

void produce_input(const std::string& topic) {
  kt::producer p;
  for (int i = 0; i < n; ++i) p.send(topic, std::to_string(i), i % partitions);
  p.flush();
}

std::string transformed(const std::string& s) { return "v" + s; }

/// Kills a broker (SIGKILL: a crash, no controlled shutdown) and makes sure
/// it is running again when the case ends, whatever happens in between.
class broker_crash {
 public:
  explicit broker_crash(int broker) : id_(broker) {
    REQUIRE(spate_test::kafka::kafka_script("stop-broker " + std::to_string(id_) + " --kill") == 0);
    down_ = true;
  }
  void restart() {
    down_ = false;
    REQUIRE(spate_test::kafka::kafka_script("start-broker " + std::to_string(id_)) == 0);
  }
  ~broker_crash() {
    if (down_) spate_test::kafka::kafka_script("start-broker " + std::to_string(id_));
  }
  broker_crash(const broker_crash&) = delete;
  broker_crash& operator=(const broker_crash&) = delete;

 private:
  int id_;
  bool down_ = false;
};

/// Waits until `seen` reaches `target` or the job ends, at most 120 s.
void wait_progress(const std::atomic<long>& seen, long target, const std::atomic<bool>& finished) {
  auto deadline = std::chrono::steady_clock::now() + 120s;
  while (seen.load() < target && !finished.load()) {
    if (std::chrono::steady_clock::now() > deadline) FAIL("the job did not get " << target << " records in 120 s");
    std::this_thread::sleep_for(10ms);
  }
}

/// Runs a thread and joins it on every path (the job stops through `stop`).
struct job_thread {
  std::atomic<bool>& stop;
  std::thread t;
  ~job_thread() {
    stop = true;
    if (t.joinable()) t.join();
  }
  void join() { t.join(); }
};

}  // namespace

TEST_CASE("3 brokers: SIGKILL of the output's partition-0 leader mid-run, at_least_once loses nothing",
          "[kafka][cluster][failover]") {
  REQUIRE(broker_count() == 3);
  auto cfg = cluster_cfg();
  kafka::admin adm(cfg);
  wait_healthy(adm);
  auto in = replicated_topic(adm, "cluster-alo-in"), out = replicated_topic(adm, "cluster-alo-out");
  produce_input(in);

  std::atomic<long> seen{0};
  std::atomic<bool> finished{false}, stop{false};
  std::exception_ptr failure;
  const auto t0 = std::chrono::steady_clock::now();
  job_thread job{stop, std::thread([&] {
                   try {
                     spate::run(kafka::source(cfg, {in}).until_offsets_end().max_rate_per_partition(rate).stop_when(stop) |
                                spate::map(transformed) |
                                spate::inspect([&](const std::string&) { seen.fetch_add(1); }) |
                                kafka::sink(cfg, out).delivery_guarantee(kafka::delivery::at_least_once));
                   } catch (...) {
                     failure = std::current_exception();
                   }
                   finished = true;
                 })};
  wait_progress(seen, n / 5, finished);
  REQUIRE_FALSE(finished.load());
  const int victim = leaders(adm, out)[0];  // looked up now: the leader at the moment of the crash
  REQUIRE(victim >= 1);
  REQUIRE(victim <= 3);
  long at_kill = 0, while_down = 0;
  bool running_at_kill = false;
  const long before_kill = seen.load();
  {
    broker_crash crash(victim);  // returns once the process is gone
    running_at_kill = !finished.load();
    at_kill = seen.load();
    // The two live brokers keep the job going: wait for that (not for a fixed time).
    wait_progress(seen, at_kill + 1000, finished);
    while_down = seen.load() - at_kill;
    crash.restart();
  }
  job.join();
  const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (failure) std::rethrow_exception(failure);
  std::fprintf(stderr,
               "at_least_once: SIGKILL to broker %d (leader of %s/0) at %ld of %d records, gone at %ld; "
               "%ld more before its restart; job took %.1f s\n",
               victim, out.c_str(), before_kill, n, at_kill, while_down, secs);
  CHECK(running_at_kill);  // the crash happened while the job was running
  CHECK(at_kill < n);
  CHECK(while_down > 0);   // the two live brokers kept the job going

  auto got = kt::values(kt::read_all(out, false, 120s));
  std::set<std::string> distinct(got.begin(), got.end());
  std::set<std::string> expected;
  for (int i = 0; i < n; ++i) expected.insert(transformed(std::to_string(i)));
  std::fprintf(stderr, "at_least_once: %zu records in the output, %zu duplicates\n", got.size(), got.size() - distinct.size());
  CHECK(distinct == expected);  // nothing lost, nothing foreign
  CHECK(got.size() >= static_cast<std::size_t>(n));
  wait_healthy(adm);  // leave the cluster whole for the next case
}

TEST_CASE("3 brokers: SIGKILL of a partition leader that is not the transaction coordinator, exactly_once stays exact",
          "[kafka][cluster][failover]") {
  REQUIRE(broker_count() == 3);
  auto cfg = cluster_cfg();
  kafka::admin adm(cfg);
  wait_healthy(adm);
  auto in = replicated_topic(adm, "cluster-eos-in"), out = replicated_topic(adm, "cluster-eos-out");
  produce_input(in);

  // The sink takes prefix + "-0" (the lowest index free in this process).
  const std::string prefix = kt::topic("cluster-eos");
  const std::string txn_id = prefix + "-0";
  init_transactional_id(txn_id);
  wait_healthy(adm);  // __transaction_state may have just been created

  std::atomic<long> seen{0};
  std::atomic<bool> finished{false}, stop{false};
  std::exception_ptr failure;
  const auto t0 = std::chrono::steady_clock::now();
  // Micro-batches of 500 ms: a transaction per batch, committed at its end.
  job_thread job{stop, std::thread([&] {
                   try {
                     spate::context ctx{spate::micro_batch{500ms}};
                     ctx.add(kafka::source(cfg, {in}).until_offsets_end().max_rate_per_partition(rate).stop_when(stop) |
                             spate::map(transformed) |
                             spate::inspect([&](const std::string&) { seen.fetch_add(1); }) |
                             kafka::sink(cfg, out)
                                 .delivery_guarantee(kafka::delivery::exactly_once)
                                 .transactional_id_prefix(prefix));
                     ctx.start();
                     ctx.await_termination();
                   } catch (...) {
                     failure = std::current_exception();
                   }
                   finished = true;
                 })};
  wait_progress(seen, n / 5, finished);
  REQUIRE_FALSE(finished.load());
  // Chosen now, from the leaders at the moment of the crash: the leader of an
  // output partition that is not the coordinator of the sink's transactions.
  const int coordinator = transaction_coordinator(adm, txn_id);
  REQUIRE(coordinator >= 1);
  auto out_leaders = leaders(adm, out);
  int victim = -1, victim_partition = -1;
  for (int p = 0; p < partitions && victim < 0; ++p)
    if (out_leaders[static_cast<std::size_t>(p)] != coordinator) {
      victim = out_leaders[static_cast<std::size_t>(p)];
      victim_partition = p;
    }
  INFO("transaction coordinator of " << txn_id << ": broker " << coordinator);
  REQUIRE(victim >= 1);  // Kafka spreads the leaders of 3 partitions over the 3 brokers
  long at_kill = 0;
  bool running_at_kill = false;
  const long before_kill = seen.load();
  {
    broker_crash crash(victim);  // returns once the process is gone
    running_at_kill = !finished.load();
    at_kill = seen.load();
    std::this_thread::sleep_for(2s);
    crash.restart();
  }
  job.join();
  const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (failure) std::rethrow_exception(failure);
  std::fprintf(stderr,
               "exactly_once: transaction coordinator %d; SIGKILL to broker %d (leader of %s/%d) at %ld of %d records, "
               "gone at %ld; job took %.1f s\n",
               coordinator, victim, out.c_str(), victim_partition, before_kill, n, at_kill, secs);
  CHECK(running_at_kill);
  CHECK(at_kill < n);

  std::multiset<std::string> expected;
  for (int i = 0; i < n; ++i) expected.insert(transformed(std::to_string(i)));
  // The commit markers of the last transaction are written after the commit
  // returns: read again until every record is visible (or 120 s pass).
  std::vector<std::string> got;
  auto deadline = std::chrono::steady_clock::now() + 120s;
  do {
    got = kt::values(kt::read_all(out, true, 120s));
    if (got.size() >= static_cast<std::size_t>(n)) break;
    std::this_thread::sleep_for(200ms);
  } while (std::chrono::steady_clock::now() < deadline);
  CHECK(got.size() == static_cast<std::size_t>(n));
  CHECK(std::multiset<std::string>(got.begin(), got.end()) == expected);  // each exactly once
  wait_healthy(adm);
}
