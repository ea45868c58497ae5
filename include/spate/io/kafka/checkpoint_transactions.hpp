#pragma once
// The exactly-once Kafka sink of a checkpointed job (docs/checkpoints.md,
// "Exactly-once with Kafka"): one transaction per checkpoint, committed by
// the checkpoint thread once checkpoint n is durable, together with a marker
// that names n: the offset of partition 0 of the sink's topic, committed for
// the group `spate-checkpoints.<transactional id>` inside the same
// transaction, with the metadata `spate-chk=<n>`. The marker is visible if
// and only if the output is, so after a crash the restart reads it (after
// fencing the old producer) and restores exactly checkpoint n.
//
// The sink instance produces into the open transaction. At barrier n it
// waits for its records' delivery reports and from then on holds back: its
// next record waits until transaction n committed (or checkpoint n was
// aborted: its records then ride with checkpoint n+1), so no record after
// barrier n can land in transaction n. Every exactly-once sink of a context
// with the same transactional id prefix shares one of these (one producer,
// one transaction per checkpoint for all of them); each instance keeps the
// barrier it passed itself, so one that has not reached barrier n yet goes
// on producing into transaction n.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "../../core/time.hpp"
#include "config.hpp"
#include "errors.hpp"
#include "producer.hpp"
#include "rate_limit.hpp"

namespace spate::kafka::detail {

/// Transactional ids in use in this process: a sink takes prefix-n with the
/// lowest free n and gives it back when it goes.
inline std::mutex& txn_ids_mutex() {
  static std::mutex m;
  return m;
}
inline std::set<std::string>& txn_ids_in_use() {
  static std::set<std::string> s;
  return s;
}
inline std::string take_txn_id(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(txn_ids_mutex());
  for (int n = 0;; ++n) {
    std::string id = prefix + "-" + std::to_string(n);
    if (txn_ids_in_use().insert(id).second) return id;
  }
}
inline void give_back_txn_id(const std::string& id) {
  std::lock_guard<std::mutex> lock(txn_ids_mutex());
  txn_ids_in_use().erase(id);
}

inline constexpr const char* checkpoint_marker_prefix = "spate-chk=";

class checkpoint_transactions {
 public:
  /// Opens the transactional producer (fencing any earlier one with the same
  /// id, which aborts its open transaction or completes a decided commit),
  /// then reads the marker: the checkpoint whose transaction committed.
  checkpoint_transactions(const config& cfg, std::string txn_id, std::string topic,
                          std::chrono::milliseconds txn_timeout, std::chrono::milliseconds flush_timeout)
      : cfg_(cfg), txn_id_(std::move(txn_id)), topic_(std::move(topic)), flush_timeout_(flush_timeout) {
    {
      // The id is this job's across restarts: no other sink of the process may hold it.
      std::lock_guard<std::mutex> lock(txn_ids_mutex());
      if (!txn_ids_in_use().insert(txn_id_).second)
        throw kafka_error("kafka sink: the transactional id '" + txn_id_ + "' is in use by another sink of this process",
                          RD_KAFKA_RESP_ERR__INVALID_ARG);
    }
    try {
      config pc = cfg;
      if (!pc.has("partitioner")) pc.props["partitioner"] = "murmur2_random";
      pc.props["transactional.id"] = txn_id_;
      pc.props["transaction.timeout.ms"] = std::to_string(txn_timeout.count());
      pc.props["enable.idempotence"] = "true";
      producer_ = shared_producer::acquire(pc);
      throw_if(rd_kafka_init_transactions(producer_->native(), std::max(30000, cfg.timeout_ms())),
               "kafka sink: init transactions (" + txn_id_ + ")");
      committed_ = read_marker();
    } catch (...) {
      producer_.reset();
      give_back_txn_id(txn_id_);
      throw;
    }
  }
  checkpoint_transactions(const checkpoint_transactions&) = delete;
  checkpoint_transactions& operator=(const checkpoint_transactions&) = delete;
  ~checkpoint_transactions() {
    if (producer_ && in_txn_) rd_kafka_error_destroy(rd_kafka_abort_transaction(producer_->native(), 30000));
    producer_.reset();  // destroyed before the id is free again
    give_back_txn_id(txn_id_);
  }

  const std::shared_ptr<shared_producer>& producer() const noexcept { return producer_; }
  const std::string& transactional_id() const noexcept { return txn_id_; }
  std::string marker_group() const { return "spate-checkpoints." + txn_id_; }
  /// The checkpoint whose transaction committed last (0: none).
  checkpoint_id committed() const {
    std::lock_guard lock(m_);
    return committed_;
  }
  std::int64_t transactions() const {
    std::lock_guard lock(m_);
    return transactions_;
  }

  /// A sink instance, before each record: waits while the transaction of
  /// the barrier it passed last (`passed`) is not committed, then makes sure
  /// one is open. `aborted` says the job is going down (then it returns
  /// false).
  bool before_produce(checkpoint_id& passed, const std::function<bool()>& aborted) {
    std::unique_lock lock(m_);
    while (passed > committed_) {
      if (aborted_below_ >= passed) {  // that checkpoint was aborted: ride with the next
        passed = committed_;
        break;
      }
      if (aborted && aborted()) return false;
      cv_.wait_for(lock, std::chrono::milliseconds(20));
    }
    if (!in_txn_) {
      throw_if(rd_kafka_begin_transaction(producer_->native()), "kafka sink: begin transaction (" + txn_id_ + ")");
      in_txn_ = true;
    }
    return true;
  }
  /// The checkpoint thread: checkpoint n is durable; commit its transaction
  /// with the marker. Throws when the commit failed (the job fails; the
  /// restart takes the checkpoint the marker names).
  void commit(checkpoint_id n) {
    std::unique_lock lock(m_);
    rd_kafka_t* rk = producer_->native();
    const int to = static_cast<int>(flush_timeout_.count());
    if (!in_txn_) {
      throw_if(rd_kafka_begin_transaction(rk), "kafka sink: begin transaction (" + txn_id_ + ")");
      in_txn_ = true;
    }
    {
      tpl_ptr offsets(rd_kafka_topic_partition_list_new(1));
      auto* e = rd_kafka_topic_partition_list_add(offsets.get(), topic_.c_str(), 0);
      e->offset = static_cast<std::int64_t>(n);
      std::string meta = checkpoint_marker_prefix + std::to_string(n);
      e->metadata = std::malloc(meta.size());
      std::memcpy(e->metadata, meta.data(), meta.size());
      e->metadata_size = meta.size();
      const std::string group = marker_group();
      rd_kafka_consumer_group_metadata_t* g = rd_kafka_consumer_group_metadata_new(group.c_str());
      rd_kafka_error_t* err = rd_kafka_send_offsets_to_transaction(rk, offsets.get(), g, to);
      rd_kafka_consumer_group_metadata_destroy(g);
      if (err) fail(err, "send the checkpoint marker");
    }
    for (int attempt = 0;; ++attempt) {
      rd_kafka_error_t* err = rd_kafka_commit_transaction(rk, to);
      if (!err) break;
      if (rd_kafka_error_is_retriable(err) && attempt < 5) {
        rd_kafka_error_destroy(err);
        continue;
      }
      fail(err, "commit the transaction of checkpoint " + std::to_string(n));
    }
    in_txn_ = false;
    committed_ = n;
    ++transactions_;
    cv_.notify_all();
  }
  /// Checkpoint n was aborted: the records after its barrier ride with the
  /// next checkpoint, in the same open transaction.
  void aborted(checkpoint_id n) {
    std::lock_guard lock(m_);
    aborted_below_ = std::max(aborted_below_, n);
    cv_.notify_all();
  }

 private:
  [[noreturn]] void fail(rd_kafka_error_t* err, const std::string& what) {
    std::string msg = "kafka sink: " + what + " (" + txn_id_ + "): " + rd_kafka_error_string(err);
    auto code = rd_kafka_error_code(err);
    bool abortable = rd_kafka_error_txn_requires_abort(err);
    rd_kafka_error_destroy(err);
    if (abortable) {
      rd_kafka_error_destroy(rd_kafka_abort_transaction(producer_->native(), static_cast<int>(flush_timeout_.count())));
      in_txn_ = false;
    }
    throw kafka_error(msg, code);
  }

  // The marker under read_committed (KIP-447: a pending transactional offset
  // commit is not returned as if it were stable).
  checkpoint_id read_marker() const {
    config cc = cfg_;
    cc.props["group.id"] = marker_group();
    cc.props["isolation.level"] = "read_committed";
    cc.props["enable.auto.commit"] = "false";
    handle rk = make_handle(RD_KAFKA_CONSUMER, make_conf(cc, {}, {}, "kafka sink"), "kafka sink");
    tpl_ptr l(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(l.get(), topic_.c_str(), 0);
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int attempt = 0; attempt < 60; ++attempt) {
      err = rd_kafka_committed(rk.get(), l.get(), std::max(10000, cfg_.timeout_ms()));
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR && l->elems[0].err != RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a transaction is still being completed
    }
    if (err) throw_error("kafka sink: the checkpoint marker of group '" + marker_group() + "'", err);
    const auto& e = l->elems[0];
    if (e.err) throw_error("kafka sink: the checkpoint marker of group '" + marker_group() + "'", e.err);
    if (e.offset < 0 || !e.metadata) return 0;
    std::string meta(static_cast<const char*>(e.metadata), e.metadata_size);
    if (!meta.starts_with(checkpoint_marker_prefix))
      throw kafka_error("kafka sink: the offset metadata of group '" + marker_group() + "' is '" + meta +
                            "', not a spate checkpoint marker",
                        RD_KAFKA_RESP_ERR__BAD_MSG);
    return static_cast<checkpoint_id>(std::stoull(meta.substr(std::string(checkpoint_marker_prefix).size())));
  }

  config cfg_;
  std::string txn_id_, topic_;
  std::chrono::milliseconds flush_timeout_;
  std::shared_ptr<shared_producer> producer_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  bool in_txn_ = false;
  checkpoint_id committed_ = 0, aborted_below_ = 0;  // aborted_below_: the newest aborted checkpoint
  std::int64_t transactions_ = 0;
};

}  // namespace spate::kafka::detail
