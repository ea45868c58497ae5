#pragma once
// The Kafka sink (Flink's KafkaSink).
//
//   auto out = kafka::sink(cfg, "counts", serde::key_value<serde::string_schema, serde::string_schema>{})
//                .delivery_guarantee(kafka::delivery::exactly_once)
//                .transactional_id_prefix("wordcount")
//                .partition_by([](const auto& rec, std::int32_t n) { return ...; })   // default: key hash
//                .topic_by([](const auto& rec) { return std::string_view(...); });   // default: the fixed topic
//
// Records are serialized with a serde::key_value (pair<K, V>: key and value)
// or a value-only Serializer (value; key from .key_by(f), else null).
// All sinks with the same configuration share one producer per process
// (shared_producer). Commit points: on_batch_end (micro-batch), on_barrier
// (checkpoint) and on_end.
//   delivery::none           fire and forget; flushed (best effort) at the end
//   delivery::at_least_once  (default) idempotent producer; at every commit
//                            point the sink waits for the delivery report of
//                            each of its records; a failed delivery throws
//                            kafka_error. Nothing is lost; a replay after a
//                            failure may duplicate.
//   delivery::exactly_once   a Kafka transaction per commit point, with
//                            transactional.id = prefix + "-" + n (n: the
//                            lowest index not in use in the process, so a
//                            restarted job reuses its ids and fences the old
//                            producer, aborting its open transaction).
//                            Readers must use isolation.level=read_committed.
// Under continuous execution (a continuous context, spate::run) the commit
// points are time-based: a transaction open for .commit_interval() (default
// 1 s) is committed at the next record or tick, so readers see output while
// the job runs. Under micro-batches (a micro_batch context, run_batch) each
// batch is one transaction, unless it stays open for half the transaction
// timeout: then it is committed early rather than aborted by the broker.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "../../algebra/stage.hpp"
#include "admin.hpp"
#include "config.hpp"
#include "errors.hpp"
#include "producer.hpp"
#include "record.hpp"

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

struct no_function {};

namespace detail {

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
  std::shared_ptr<shared_producer> producer;
  std::shared_ptr<delivery_tracker> tracker = std::make_shared<delivery_tracker>();
  rd_kafka_topic_t* topic = nullptr;  // the fixed topic
  std::int32_t topic_partitions = 0;
  std::unordered_map<std::string, std::pair<rd_kafka_topic_t*, std::int32_t>> topics;  // topic_by
  std::string txn_id;
  bool in_txn = false;
  std::uint64_t since_poll = 0;
  std::int64_t transactions = 0;
  std::string key, value;  // reused buffers

  sink_state() = default;
  sink_state(const sink_state&) = delete;
  sink_state& operator=(const sink_state&) = delete;

  ~sink_state() {
    if (!producer) return;
    try {
      if (guarantee == delivery::exactly_once) {
        if (in_txn) rd_kafka_error_destroy(rd_kafka_abort_transaction(producer->native(), 30000));
      } else if (tracker->pending.load() > 0) {
        producer->await(*tracker, std::chrono::seconds(30), "kafka sink");
      }
    } catch (...) {
    }
    if (tracker->pending.load() > 0) new std::shared_ptr<delivery_tracker>(tracker);  // reports may still come: keep it
    if (!txn_id.empty()) {
      producer.reset();  // a transactional producer is not shared: destroy it before the id is reused
      give_back_txn_id(txn_id);
    }
  }

  std::pair<rd_kafka_topic_t*, std::int32_t> topic_for(std::string_view name) {
    auto it = topics.find(std::string(name));
    if (it != topics.end()) return it->second;
    std::string n(name);
    std::int32_t parts = partition_count(producer->native(), cfg, n, "kafka sink");
    auto v = std::make_pair(producer->topic(n), parts);
    topics.emplace(n, v);
    return v;
  }

  void begin() {
    if (guarantee != delivery::exactly_once || in_txn) return;
    throw_if(rd_kafka_begin_transaction(producer->native()), "kafka sink: begin transaction (" + txn_id + ")");
    in_txn = true;
    txn_started = std::chrono::steady_clock::now();
  }

  /// Commits a transaction that has been open for commit_due.
  void commit_if_due() {
    if (guarantee != delivery::exactly_once || !in_txn) return;
    if (std::chrono::steady_clock::now() - txn_started >= commit_due) commit(false);
  }

  /// Processing time passes (also while no record comes): serve delivery
  /// reports, surface failures, commit a transaction that is due.
  void tick() {
    producer->poll(0);
    if (guarantee == delivery::at_least_once) tracker->check("kafka sink");
    commit_if_due();
  }

  /// k: the key bytes, or null data for no key. Both are copied by the producer.
  void produce(rd_kafka_topic_t* t, std::int32_t partition, std::string_view k, std::string_view v) {
    if (guarantee == delivery::exactly_once) commit_if_due();  // a clock read per record: slow streams commit too
    begin();
    producer->produce(t, partition, k.data(), k.size(), v.data(), v.size(), nullptr,
                      guarantee == delivery::none ? nullptr : tracker.get());
    if (++since_poll >= 1024) {
      since_poll = 0;
      tick();
    }
  }

  /// A commit point: batch end, checkpoint barrier or end of input.
  void commit(bool final_point) {
    switch (guarantee) {
      case delivery::none:
        if (final_point) rd_kafka_flush(producer->native(), static_cast<int>(flush_timeout.count()));
        break;
      case delivery::at_least_once:
        producer->await(*tracker, flush_timeout, "kafka sink");
        tracker->check("kafka sink");
        break;
      case delivery::exactly_once: {
        if (!in_txn) break;
        for (int attempt = 0;; ++attempt) {
          rd_kafka_error_t* e = rd_kafka_commit_transaction(producer->native(), static_cast<int>(flush_timeout.count()));
          if (!e) break;
          if (rd_kafka_error_is_retriable(e) && attempt < 5) {
            rd_kafka_error_destroy(e);
            continue;
          }
          if (rd_kafka_error_txn_requires_abort(e)) {
            std::string msg = std::string("kafka sink: transaction of '") + txn_id + "' aborted: " + rd_kafka_error_string(e);
            auto code = rd_kafka_error_code(e);
            rd_kafka_error_destroy(e);
            rd_kafka_error_destroy(rd_kafka_abort_transaction(producer->native(), static_cast<int>(flush_timeout.count())));
            in_txn = false;
            throw kafka_error(msg, code);
          }
          in_txn = false;
          throw_if(e, "kafka sink: commit transaction (" + txn_id + ")");
        }
        in_txn = false;
        ++transactions;
        tracker->check("kafka sink");
        break;
      }
    }
  }
};

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
    std::int64_t broker_max = 0;
    {
      admin a(s.cfg);
      std::string v = a.broker_config("transaction.max.timeout.ms");
      broker_max = std::stoll(v);
    }
    if (txn_timeout.count() > broker_max)
      throw kafka_error("kafka sink: the transaction timeout (" + std::to_string(txn_timeout.count()) +
                            " ms) exceeds the broker's transaction.max.timeout.ms (" + std::to_string(broker_max) +
                            " ms): lower it with .transaction_timeout() or raise the broker's limit",
                        RD_KAFKA_RESP_ERR_INVALID_TRANSACTION_TIMEOUT);
    s.txn_id = take_txn_id(txn_prefix);
    pc.props["transactional.id"] = s.txn_id;
    pc.props["transaction.timeout.ms"] = std::to_string(txn_timeout.count());
    pc.props["enable.idempotence"] = "true";
  }
  try {
    s.producer = shared_producer::acquire(pc);
    if (!s.topic_name.empty()) {
      s.topic_partitions = partition_count(s.producer->native(), s.cfg, s.topic_name, "kafka sink");
      s.topic = s.producer->topic(s.topic_name);
    }
    if (s.guarantee == delivery::exactly_once)
      // Fences an earlier producer with the same id and aborts its open transaction.
      throw_if(rd_kafka_init_transactions(s.producer->native(), std::max(30000, s.cfg.timeout_ms())),
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

/// A Kafka sink descriptor.
template <class Ser, class KeyFn = no_function, class PartFn = no_function, class TopicFn = no_function>
struct sink_t : sink_tag {
  static constexpr const char* name = "kafka sink";
  static constexpr bool key_value = KeyValueSerializer<Ser>;
  using record_type = typename Ser::value_type;

  config cfg;
  std::string topic;
  [[no_unique_address]] Ser ser{};
  [[no_unique_address]] KeyFn key_fn{};
  [[no_unique_address]] PartFn part_fn{};
  [[no_unique_address]] TopicFn topic_fn{};
  delivery guarantee = delivery::at_least_once;
  std::string txn_prefix;
  std::chrono::milliseconds txn_timeout{std::chrono::minutes(1)};
  std::chrono::milliseconds flush_timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds commit_every{std::chrono::seconds(1)};

  sink_t with_delivery(delivery d) const {
    auto c = *this;
    c.guarantee = d;
    return c;
  }
  /// none, at_least_once (default) or exactly_once.
  sink_t delivery_guarantee(delivery d) const { return with_delivery(d); }
  /// exactly_once: the prefix of the transactional ids (stable across restarts).
  sink_t transactional_id_prefix(std::string p) const {
    auto c = *this;
    c.txn_prefix = std::move(p);
    return c;
  }
  /// exactly_once: transaction.timeout.ms (default 1 min); must be at most the
  /// broker's transaction.max.timeout.ms (checked at start) and longer than
  /// the longest expected recovery.
  sink_t transaction_timeout(std::chrono::milliseconds t) const {
    auto c = *this;
    c.txn_timeout = t;
    return c;
  }
  /// exactly_once without batch ends (continuous execution, spate::run): the
  /// longest a transaction stays open before it is committed (default 1 s).
  /// Must be below the transaction timeout (checked at start). Readers with
  /// read_committed see output this much later; shorter means more commits.
  sink_t commit_interval(std::chrono::milliseconds t) const {
    auto c = *this;
    c.commit_every = t;
    return c;
  }
  /// How long a commit point may wait for delivery reports or a commit.
  sink_t commit_timeout(std::chrono::milliseconds t) const {
    auto c = *this;
    c.flush_timeout = t;
    return c;
  }
  /// The key bytes of a record (value-only serializers): f(rec) -> string_view-like.
  template <class F>
  sink_t<Ser, F, PartFn, TopicFn> key_by(F f) const {
    return {{}, cfg, topic, ser, std::move(f), part_fn, topic_fn, guarantee, txn_prefix, txn_timeout, flush_timeout, commit_every};
  }
  /// The partition of a record: f(rec, partition_count) -> int32 in [0, count).
  template <class F>
  sink_t<Ser, KeyFn, F, TopicFn> partition_by(F f) const {
    return {{}, cfg, topic, ser, key_fn, std::move(f), topic_fn, guarantee, txn_prefix, txn_timeout, flush_timeout, commit_every};
  }
  /// The topic of a record: f(rec) -> string_view-like (else the sink's topic).
  template <class F>
  sink_t<Ser, KeyFn, PartFn, F> topic_by(F f) const {
    return {{}, cfg, topic, ser, key_fn, part_fn, std::move(f), guarantee, txn_prefix, txn_timeout, flush_timeout, commit_every};
  }

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (std::is_convertible_v<const T&, record_type>) {
      return true;
    } else {
      (void)&diagnostic::report<diagnostic::sink_cannot_accept_input<"kafka sink", T, record_type>>;
      return false;
    }
  }

  struct built : sink_control {
    std::unique_ptr<detail::sink_state> st;
    [[no_unique_address]] Ser ser;
    [[no_unique_address]] KeyFn key_fn;
    [[no_unique_address]] PartFn part_fn;
    [[no_unique_address]] TopicFn topic_fn;

    template <class R>
    bool push(const R& in) {
      if constexpr (std::is_same_v<std::remove_cvref_t<R>, record_type>) {
        write(in);
      } else {
        const record_type r = in;
        write(r);
      }
      return true;
    }
    // The bytes go straight from the record when the serializer's encoding
    // is the record itself (ViewSerializer); else through a reused buffer.
    // The producer copies them either way.
    void write(const record_type& r) {
      auto& s = *st;
      if constexpr (key_value) {
        send(r, present(key_bytes(r.first, s.key)), present(value_bytes(r.second, s.value)));
      } else if constexpr (!std::is_same_v<KeyFn, no_function>) {
        auto&& kr = key_fn(r);  // may be a temporary std::string: alive until send returns
        send(r, present(std::string_view(kr)), present(bytes_of(ser, r, s.value)));
      } else {
        send(r, std::string_view{}, present(bytes_of(ser, r, s.value)));  // null data: no key
      }
    }
    /// k: the key bytes (null data: no key); v: the value bytes.
    void send(const record_type& r, std::string_view k, std::string_view v) {
      auto& s = *st;
      rd_kafka_topic_t* t = s.topic;
      std::int32_t count = s.topic_partitions;
      if constexpr (!std::is_same_v<TopicFn, no_function>) {
        auto&& tr = topic_fn(r);  // may be a temporary std::string: keep it alive
        std::tie(t, count) = s.topic_for(std::string_view(tr));
      }
      std::int32_t partition = RD_KAFKA_PARTITION_UA;  // the producer's partitioner: murmur2 of the key, as Java's
      if constexpr (!std::is_same_v<PartFn, no_function>) {
        partition = static_cast<std::int32_t>(part_fn(r, count));
        if (partition < 0 || partition >= count)
          throw kafka_error("kafka sink: the partitioner returned " + std::to_string(partition) + " for a topic of " +
                                std::to_string(count) + " partitions",
                            RD_KAFKA_RESP_ERR__INVALID_ARG);
      }
      s.produce(t, partition, k, v);
    }
    /// Bytes that are there, even if empty (not null: an empty key or value, not a missing one).
    static std::string_view present(std::string_view x) { return x.data() ? x : std::string_view("", 0); }
    static std::string_view into(std::string& buf, auto&& serialize) {
      buf.clear();
      serialize(buf);
      return buf;
    }
    template <class S, class T>
    static std::string_view bytes_of(const S& serializer, const T& x, std::string& buf) {
      if constexpr (ViewSerializer<S>)
        return serializer.view(x);
      else
        return into(buf, [&](std::string& b) { serializer.serialize(x, b); });
    }
    template <class K>
    std::string_view key_bytes(const K& x, std::string& buf) const {
      if constexpr (requires { ser.key_serializer; })
        return bytes_of(ser.key_serializer, x, buf);
      else
        return into(buf, [&](std::string& b) { ser.serialize_key(x, b); });
    }
    template <class V>
    std::string_view value_bytes(const V& x, std::string& buf) const {
      if constexpr (requires { ser.value_serializer; })
        return bytes_of(ser.value_serializer, x, buf);
      else
        return into(buf, [&](std::string& b) { ser.serialize_value(x, b); });
    }

    void on_batch_end(const batch_info&) { st->commit(false); }
    void on_tick(event_time) { st->tick(); }
    void on_barrier(checkpoint_id) { st->commit(false); }
    void on_end() { st->commit(true); }

    /// Transactions committed so far (exactly_once).
    std::int64_t transactions() const { return st->transactions; }
    const std::string& transactional_id() const { return st->txn_id; }
  };

  template <class Flow, class Env>
  built build(Env&, stage_label) const {
    auto st = std::make_unique<detail::sink_state>();
    st->cfg = cfg;
    st->topic_name = topic;
    st->guarantee = guarantee;
    st->flush_timeout = flush_timeout;
    constexpr bool batched = std::is_same_v<Env, compacted_env>;  // micro-batch context, run_batch
    st->commit_due = batched ? txn_timeout / 2 : commit_every;
    if (guarantee == delivery::exactly_once && !batched && (commit_every.count() <= 0 || commit_every >= txn_timeout))
      throw kafka_error("kafka sink: the commit interval (" + std::to_string(commit_every.count()) +
                            " ms) must be positive and below the transaction timeout (" +
                            std::to_string(txn_timeout.count()) + " ms)",
                        RD_KAFKA_RESP_ERR__INVALID_ARG);
    if (topic.empty() && std::is_same_v<TopicFn, no_function>)
      throw kafka_error("kafka sink: no topic (give one, or .topic_by(f))", RD_KAFKA_RESP_ERR__INVALID_ARG);
    detail::open_sink(*st, txn_timeout, txn_prefix);
    return built{{}, std::move(st), ser, key_fn, part_fn, topic_fn};
  }
};

/// A sink writing to `topic` (may be empty with .topic_by). `s`: a
/// serde::key_value (records are pairs) or a value-only Serializer.
template <class S = serde::string_schema>
sink_t<S> sink(config cfg, std::string topic, S s = {}) {
  sink_t<S> k;
  k.cfg = std::move(cfg);
  k.topic = std::move(topic);
  k.ser = std::move(s);
  return k;
}

}  // namespace spate::kafka
