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
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../../algebra/stage.hpp"
#include "config.hpp"
#include "errors.hpp"
#include "record.hpp"
#include "../../exec/checkpointing.hpp"
#include "sink_state.hpp"

namespace spate::kafka {

struct no_function {};

/// Where a record goes and under which key: a function for each of key,
/// partition and topic, or no_function for the default (null key, the
/// producer's murmur2 partitioner, the sink's topic).
template <class KeyFn = no_function, class PartFn = no_function, class TopicFn = no_function>
struct sink_routing {
  [[no_unique_address]] KeyFn key{};
  [[no_unique_address]] PartFn partition{};
  [[no_unique_address]] TopicFn topic{};
  static constexpr bool keyed = !std::is_same_v<KeyFn, no_function>;
  static constexpr bool partitioned = !std::is_same_v<PartFn, no_function>;
  static constexpr bool routed = !std::is_same_v<TopicFn, no_function>;

  template <class F>
  sink_routing<F, PartFn, TopicFn> key_by(F f) const {
    return {std::move(f), partition, topic};
  }
  template <class F>
  sink_routing<KeyFn, F, TopicFn> partition_by(F f) const {
    return {key, std::move(f), topic};
  }
  template <class F>
  sink_routing<KeyFn, PartFn, F> topic_by(F f) const {
    return {key, partition, std::move(f)};
  }
};

namespace detail {
/// The options of a sink that do not depend on its record type.
struct sink_options {
  config cfg;
  std::string topic;
  delivery guarantee = delivery::at_least_once;
  std::string txn_prefix;
  std::chrono::milliseconds txn_timeout{std::chrono::minutes(1)};
  bool txn_timeout_set = false;  // given by .transaction_timeout()
  std::chrono::milliseconds flush_timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds commit_every{std::chrono::seconds(1)};
  // exactly_once in a checkpointed job (prepare_checkpoints)
  std::shared_ptr<checkpoint_transactions> checkpointed;
  std::function<bool()> job_aborted;
};
}  // namespace detail

/// A Kafka sink descriptor.
template <class Ser, class Routing = sink_routing<>>
struct sink_t : sink_tag {
  static constexpr const char* name = "kafka sink";
  static constexpr bool key_value = KeyValueSerializer<Ser>;
  using record_type = typename Ser::value_type;

  detail::sink_options options;
  [[no_unique_address]] Ser ser{};
  [[no_unique_address]] Routing routing{};

  /// none, at_least_once (default) or exactly_once.
  sink_t delivery_guarantee(delivery d) const {
    auto c = *this;
    c.options.guarantee = d;
    return c;
  }
  /// exactly_once: the prefix of the transactional ids (stable across restarts).
  sink_t transactional_id_prefix(std::string p) const {
    auto c = *this;
    c.options.txn_prefix = std::move(p);
    return c;
  }
  /// exactly_once: transaction.timeout.ms (default 1 min; with checkpointing
  /// the broker's transaction.max.timeout.ms, 15 min by default); must be at
  /// most the broker's limit (checked at start) and longer than the longest
  /// expected recovery (with checkpointing: than interval + checkpoint timeout).
  sink_t transaction_timeout(std::chrono::milliseconds t) const {
    auto c = *this;
    c.options.txn_timeout = t;
    c.options.txn_timeout_set = true;
    return c;
  }
  /// exactly_once without batch ends (continuous execution, spate::run): the
  /// longest a transaction stays open before it is committed (default 1 s).
  /// Must be below the transaction timeout (checked at start). Readers with
  /// read_committed see output this much later; shorter means more commits.
  sink_t commit_interval(std::chrono::milliseconds t) const {
    auto c = *this;
    c.options.commit_every = t;
    return c;
  }
  /// How long a commit point may wait for delivery reports or a commit.
  sink_t commit_timeout(std::chrono::milliseconds t) const {
    auto c = *this;
    c.options.flush_timeout = t;
    return c;
  }
  /// The key bytes of a record (value-only serializers): f(rec) -> string_view-like.
  template <class F>
  auto key_by(F f) const {
    return with_routing(routing.key_by(std::move(f)));
  }
  /// The partition of a record: f(rec, partition_count) -> int32 in [0, count).
  template <class F>
  auto partition_by(F f) const {
    return with_routing(routing.partition_by(std::move(f)));
  }
  /// The topic of a record: f(rec) -> string_view-like (else the sink's topic).
  template <class F>
  auto topic_by(F f) const {
    return with_routing(routing.topic_by(std::move(f)));
  }
  template <class R>
  sink_t<Ser, R> with_routing(R r) const {
    return {{}, options, ser, std::move(r)};
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
    [[no_unique_address]] Routing routing;

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
      } else if constexpr (Routing::keyed) {
        auto&& kr = routing.key(r);  // may be a temporary std::string: alive until send returns
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
      if constexpr (Routing::routed) {
        auto&& tr = routing.topic(r);  // may be a temporary std::string: keep it alive
        std::tie(t, count) = s.topic_for(std::string_view(tr));
      }
      std::int32_t partition = RD_KAFKA_PARTITION_UA;  // the producer's partitioner: murmur2 of the key, as Java's
      if constexpr (Routing::partitioned) {
        partition = static_cast<std::int32_t>(routing.partition(r, count));
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

    void on_batch_end(const batch_info&) {
      if (!st->txns) st->commit(false);  // with checkpoints, barriers are the commit points
    }
    void on_tick(event_time) { st->tick(); }
    void on_barrier(checkpoint_id id) {
      st->commit(false);
      if (st->txns) st->passed = std::max(st->passed, id);
    }
    void on_end() { st->commit(true); }

    /// Transactions committed so far (exactly_once).
    std::int64_t transactions() const { return st->txns ? st->txns->transactions() : st->transactions; }
    const std::string& transactional_id() const { return st->txn_id; }
  };

  /// With checkpointing (the context calls it before the restore):
  /// exactly_once commits one transaction per checkpoint (see
  /// checkpoint_transactions.hpp); opening it fences the earlier run, and
  /// the checkpoint whose output committed is returned. Other guarantees
  /// flush at barriers and need nothing here.
  std::optional<checkpoint_id> prepare_checkpoints(exec::checkpoint_runtime& rt) {
    auto& o = options;
    if (o.guarantee != delivery::exactly_once) return std::nullopt;
    if (o.txn_prefix.empty())
      throw kafka_error("kafka sink: exactly_once needs a transactional_id_prefix", RD_KAFKA_RESP_ERR__INVALID_ARG);
    if (o.topic.empty())
      throw kafka_error("kafka sink: exactly_once with checkpointing needs a fixed topic (it holds the checkpoint "
                        "marker), not only .topic_by()",
                        RD_KAFKA_RESP_ERR__INVALID_ARG);
    if (rt.options().mode != checkpoint::checkpoint_mode::exactly_once)
      throw kafka_error("kafka sink: exactly_once needs checkpointing in the exactly_once mode (aligned barriers)",
                        RD_KAFKA_RESP_ERR__INVALID_ARG);
    // A transaction must outlive a checkpoint interval plus its timeout: by
    // default it may live as long as the broker allows.
    if (!o.txn_timeout_set) o.txn_timeout = detail::broker_transaction_max(o.cfg);
    checkpoint::check_transaction_timeout(o.txn_timeout, rt.options());
    detail::check_broker_transaction_timeout(o.cfg, o.txn_timeout);
    // Every exactly-once sink of the context: one producer, one transaction
    // per checkpoint. Two prefixes would be two transactions, whose commits
    // could not be atomic together: refused.
    const std::string key = "kafka-transactions:" + o.cfg.bootstrap + "/" + o.txn_prefix;
    if (rt.shared_count("kafka-transactions:") > 0 && !rt.has_shared(key))
      throw kafka_error("kafka sink: a checkpointed context commits one Kafka transaction per checkpoint: every "
                        "exactly-once sink needs the same cluster and transactional_id_prefix ('" +
                            o.txn_prefix + "' differs from the first sink's)",
                        RD_KAFKA_RESP_ERR__INVALID_ARG);
    auto t = rt.shared<detail::checkpoint_transactions>(key, [&] {
      auto made = std::make_shared<detail::checkpoint_transactions>(o.cfg, o.txn_prefix + "-0", o.topic,
                                                                    o.txn_timeout, o.flush_timeout);
      rt.add_committer([made](checkpoint_id n) { made->commit(n); });
      rt.add_abort_listener([made](checkpoint_id n) { made->aborted(n); });
      return made;
    });
    o.job_aborted = [&rt] { return rt.job_aborted(); };
    o.checkpointed = t;
    return t->committed();
  }

  /// Lets go of the transaction prepare_checkpoints opened (a restart).
  void drop_checkpoints() {
    options.checkpointed.reset();
    options.job_aborted = {};
  }

  template <class Flow, class Env>
  built build(Env&, stage_label) const {
    const auto& o = options;
    auto st = std::make_unique<detail::sink_state>();
    st->cfg = o.cfg;
    st->topic_name = o.topic;
    st->guarantee = o.guarantee;
    st->flush_timeout = o.flush_timeout;
    if (o.checkpointed) {
      st->txns = o.checkpointed;
      st->job_aborted = o.job_aborted;
      st->producer = tracked_producer(o.checkpointed->producer());
      st->topic_partitions = detail::partition_count(st->producer.native(), st->cfg, st->topic_name, "kafka sink");
      st->topic = st->producer.producer().topic(st->topic_name);
      return built{{}, std::move(st), ser, routing};
    }
    constexpr bool batched = std::is_same_v<Env, compacted_env>;  // micro-batch context, run_batch
    st->commit_due = batched ? o.txn_timeout / 2 : o.commit_every;
    if (o.guarantee == delivery::exactly_once && !batched &&
        (o.commit_every.count() <= 0 || o.commit_every >= o.txn_timeout))
      throw kafka_error("kafka sink: the commit interval (" + std::to_string(o.commit_every.count()) +
                            " ms) must be positive and below the transaction timeout (" +
                            std::to_string(o.txn_timeout.count()) + " ms)",
                        RD_KAFKA_RESP_ERR__INVALID_ARG);
    if (o.topic.empty() && !Routing::routed)
      throw kafka_error("kafka sink: no topic (give one, or .topic_by(f))", RD_KAFKA_RESP_ERR__INVALID_ARG);
    detail::open_sink(*st, o.txn_timeout, o.txn_prefix);
    return built{{}, std::move(st), ser, routing};
  }
};

/// A sink writing to `topic` (may be empty with .topic_by). `s`: a
/// serde::key_value (records are pairs) or a value-only Serializer.
template <class S = serde::string_schema>
sink_t<S> sink(config cfg, std::string topic, S s = {}) {
  sink_t<S> k;
  k.options.cfg = std::move(cfg);
  k.options.topic = std::move(topic);
  k.ser = std::move(s);
  return k;
}

}  // namespace spate::kafka
