#pragma once
// The run-time side of a Kafka sink, independent of its record type: the
// producer, the topic handles and the commit points of each guarantee.
//   delivery::none           fire and forget; a best-effort flush at the end
//   delivery::at_least_once  idempotent producer; a commit point waits for
//                            the delivery report of each of the sink's records
//   delivery::exactly_once   a Kafka transaction per commit point, with
//                            transactional.id = prefix-n (n the lowest index
//                            not in use in the process)
// open_sink() opens the producer (shared, or for exactly_once its own,
// after checking the transaction timeout against the broker's limit).
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "admin.hpp"
#include "checkpoint_transactions.hpp"
#include "config.hpp"
#include "errors.hpp"
#include "producer.hpp"

namespace spate::kafka {

enum class delivery { none, at_least_once, exactly_once };

inline const char* to_string(delivery d) {
  switch (d) {
    case delivery::none: return "none";
    case delivery::at_least_once: return "at_least_once";
    case delivery::exactly_once: return "exactly_once";
  }
  return "?";
}

namespace detail {

/// Everything a built sink needs at run time, independent of the record type.
struct sink_state {
  config cfg;
  std::string topic_name;
  delivery guarantee = delivery::at_least_once;
  std::chrono::milliseconds flush_timeout{std::chrono::minutes(5)};
  // exactly_once: a transaction open this long is committed at the next
  // record or tick. Continuous: the commit interval. Micro-batch (batch ends
  // are the commit points): half the transaction timeout, a safety net for
  // a batch that would outlive it.
  std::chrono::milliseconds commit_due{std::chrono::seconds(1)};
  std::chrono::steady_clock::time_point txn_started{};
  tracked_producer producer;  // the sink's records, each with its delivery report
  rd_kafka_topic_t* topic = nullptr;  // the fixed topic
  std::int32_t topic_partitions = 0;
  std::unordered_map<std::string, std::pair<rd_kafka_topic_t*, std::int32_t>> topics;  // topic_by
  std::string txn_id;
  bool in_txn = false;
  std::uint64_t since_poll = 0;
  std::int64_t transactions = 0;
  std::string key, value;  // reused buffers
  // exactly_once in a checkpointed job: the transaction of each checkpoint
  // (owned with the job's sink, committed by the checkpoint thread).
  std::shared_ptr<checkpoint_transactions> txns;
  std::function<bool()> job_aborted;
  checkpoint_id passed = 0;  // the last barrier this instance passed

  sink_state() = default;
  sink_state(const sink_state&) = delete;
  sink_state& operator=(const sink_state&) = delete;

  ~sink_state() {
    if (!producer) return;
    if (txns) {
      producer.drain(std::chrono::seconds(30), "kafka sink");
      return;  // the transaction is the checkpoint's: committed or aborted there
    }
    if (guarantee == delivery::exactly_once) {
      if (in_txn) rd_kafka_error_destroy(rd_kafka_abort_transaction(producer.native(), 30000));
    } else {
      producer.drain(std::chrono::seconds(30), "kafka sink");
    }
    if (!txn_id.empty()) {
      producer.reset();  // a transactional producer is not shared: destroy it before the id is reused
      give_back_txn_id(txn_id);
    }
  }

  std::pair<rd_kafka_topic_t*, std::int32_t> topic_for(std::string_view name) {
    auto it = topics.find(std::string(name));
    if (it != topics.end()) return it->second;
    std::string n(name);
    std::int32_t parts = partition_count(producer.native(), cfg, n, "kafka sink");
    auto v = std::make_pair(producer.producer().topic(n), parts);
    topics.emplace(n, v);
    return v;
  }

  /// False when the record must not be produced (the job is going down
  /// while it waits for a checkpoint's commit: the restore replays it).
  bool begin() {
    if (txns) return txns->before_produce(passed, job_aborted);
    if (guarantee != delivery::exactly_once || in_txn) return true;
    throw_if(rd_kafka_begin_transaction(producer.native()), "kafka sink: begin transaction (" + txn_id + ")");
    in_txn = true;
    txn_started = std::chrono::steady_clock::now();
    return true;
  }

  /// Commits a transaction that has been open for commit_due.
  void commit_if_due() {
    if (txns || guarantee != delivery::exactly_once || !in_txn) return;
    if (std::chrono::steady_clock::now() - txn_started >= commit_due) commit(false);
  }

  /// Processing time passes (also while no record comes): serve delivery
  /// reports, surface failures, commit a transaction that is due.
  void tick() {
    producer.producer().poll(0);
    if (guarantee == delivery::at_least_once) producer.check("kafka sink");
    commit_if_due();
  }

  /// k: the key bytes, or null data for no key. Both are copied by the producer.
  void produce(rd_kafka_topic_t* t, std::int32_t partition, std::string_view k, std::string_view v) {
    if (guarantee == delivery::exactly_once) commit_if_due();  // a clock read per record: slow streams commit too
    if (!begin()) return;
    producer.produce(t, partition, k.data(), k.size(), v.data(), v.size(), nullptr, guarantee != delivery::none);
    if (++since_poll >= 1024) {
      since_poll = 0;
      tick();
    }
  }

  /// A commit point: batch end, checkpoint barrier or end of input.
  void commit(bool final_point) {
    if (txns) {  // the checkpoint commits; here the records must be delivered
      producer.await(flush_timeout, "kafka sink");
      producer.check("kafka sink");
      return;
    }
    switch (guarantee) {
      case delivery::none:
        if (final_point) rd_kafka_flush(producer.native(), static_cast<int>(flush_timeout.count()));
        break;
      case delivery::at_least_once:
        producer.await(flush_timeout, "kafka sink");
        producer.check("kafka sink");
        break;
      case delivery::exactly_once: {
        if (!in_txn) break;
        for (int attempt = 0;; ++attempt) {
          rd_kafka_error_t* e = rd_kafka_commit_transaction(producer.native(), static_cast<int>(flush_timeout.count()));
          if (!e) break;
          if (rd_kafka_error_is_retriable(e) && attempt < 5) {
            rd_kafka_error_destroy(e);
            continue;
          }
          if (rd_kafka_error_txn_requires_abort(e)) {
            std::string msg = std::string("kafka sink: transaction of '") + txn_id + "' aborted: " + rd_kafka_error_string(e);
            auto code = rd_kafka_error_code(e);
            rd_kafka_error_destroy(e);
            rd_kafka_error_destroy(rd_kafka_abort_transaction(producer.native(), static_cast<int>(flush_timeout.count())));
            in_txn = false;
            throw kafka_error(msg, code);
          }
          in_txn = false;
          throw_if(e, "kafka sink: commit transaction (" + txn_id + ")");
        }
        in_txn = false;
        ++transactions;
        producer.check("kafka sink");
        break;
      }
    }
  }
};

/// A transaction timeout above the broker's transaction.max.timeout.ms is
/// refused at start, with both figures.
/// The broker's transaction.max.timeout.ms.
inline std::chrono::milliseconds broker_transaction_max(const config& cfg) {
  admin a(cfg);
  return std::chrono::milliseconds(std::stoll(a.broker_config("transaction.max.timeout.ms")));
}
inline void check_broker_transaction_timeout(const config& cfg, std::chrono::milliseconds txn_timeout) {
  const std::int64_t broker_max = broker_transaction_max(cfg).count();
  if (txn_timeout.count() > broker_max)
    throw kafka_error("kafka sink: the transaction timeout (" + std::to_string(txn_timeout.count()) +
                          " ms) exceeds the broker's transaction.max.timeout.ms (" + std::to_string(broker_max) +
                          " ms): lower it with .transaction_timeout() or raise the broker's limit",
                      RD_KAFKA_RESP_ERR_INVALID_TRANSACTION_TIMEOUT);
}

/// Opens the producer of a sink: shared for none / at_least_once; for
/// exactly_once its own transactional producer, after checking the
/// transaction timeout against the broker's transaction.max.timeout.ms.
inline void open_sink(sink_state& s, std::chrono::milliseconds txn_timeout, const std::string& txn_prefix) {
  config pc = s.cfg;
  // Keys land where Java clients (and Flink) put them: murmur2 of the key
  // bytes; records without a key are spread at random.
  if (!pc.has("partitioner")) pc.props["partitioner"] = "murmur2_random";
  if (s.guarantee == delivery::at_least_once) pc.props["enable.idempotence"] = "true";
  if (s.guarantee == delivery::exactly_once) {
    if (txn_prefix.empty())
      throw kafka_error("kafka sink: exactly_once needs a transactional_id_prefix", RD_KAFKA_RESP_ERR__INVALID_ARG);
    check_broker_transaction_timeout(s.cfg, txn_timeout);
    s.txn_id = take_txn_id(txn_prefix);
    pc.props["transactional.id"] = s.txn_id;
    pc.props["transaction.timeout.ms"] = std::to_string(txn_timeout.count());
    pc.props["enable.idempotence"] = "true";
  }
  try {
    s.producer = tracked_producer(shared_producer::acquire(pc));
    if (!s.topic_name.empty()) {
      s.topic_partitions = partition_count(s.producer.native(), s.cfg, s.topic_name, "kafka sink");
      s.topic = s.producer.producer().topic(s.topic_name);
    }
    if (s.guarantee == delivery::exactly_once)
      // Fences an earlier producer with the same id and aborts its open transaction.
      throw_if(rd_kafka_init_transactions(s.producer.native(), std::max(30000, s.cfg.timeout_ms())),
               "kafka sink: init transactions (" + s.txn_id + ")");
  } catch (...) {
    if (!s.txn_id.empty()) {
      s.producer.reset();
      give_back_txn_id(s.txn_id);
      s.txn_id.clear();
    }
    throw;
  }
}

}  // namespace detail
}  // namespace spate::kafka
