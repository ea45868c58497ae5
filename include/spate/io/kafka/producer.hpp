#pragma once
// One producer per process: shared_producer::acquire(cfg) returns the live
// producer for that configuration, creating it on first use, so every sink,
// worker and record with the same configuration goes through one librdkafka
// producer (one set of connections, one batching queue) — never a producer
// per record or per partition, the mistake the seed warns about. The last
// owner to let go flushes and destroys it.
//
// Delivery reports: each produce names a delivery_tracker (or none); the
// report callback counts delivered and failed messages on it, so a sink can
// wait for exactly its own messages at a commit point. tracked_producer is
// the one owner of a tracker (a sink's, a source's dead letters'): when it
// goes with reports still to come, the tracker passes to the producer, which
// keeps it as long as a report can reach it (until they came, or the
// producer is destroyed).
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config.hpp"
#include "errors.hpp"

namespace spate::kafka {

/// Counts the delivery reports of the messages one sink produced.
struct delivery_tracker {
  std::atomic<std::int64_t> pending{0};
  std::atomic<std::int64_t> failed{0};
  std::mutex m;
  std::string first_error;  ///< guarded by m
  rd_kafka_resp_err_t first_code = RD_KAFKA_RESP_ERR_NO_ERROR;

  void report(const rd_kafka_message_t* msg) {
    if (msg->err) {
      std::lock_guard<std::mutex> lock(m);
      if (failed.fetch_add(1) == 0) {
        first_code = msg->err;
        first_error = detail::with_code("delivery to " + std::string(rd_kafka_topic_name(msg->rkt)) + " failed",
                                        msg->err);
      }
    }
    pending.fetch_sub(1, std::memory_order_release);
  }
  /// Throws the first delivery failure, if any.
  void check(const char* who) {
    if (failed.load() == 0) return;
    std::lock_guard<std::mutex> lock(m);
    throw kafka_error(std::string(who) + ": " + first_error + " (" + std::to_string(failed.load()) +
                          " message(s) not delivered)",
                      first_code);
  }
};

class shared_producer {
 public:
  /// The process-wide producer for cfg (created on first use).
  static std::shared_ptr<shared_producer> acquire(const config& cfg) {
    static std::mutex m;
    static std::map<std::string, std::weak_ptr<shared_producer>> registry;
    std::string key = cfg.canonical();
    std::lock_guard<std::mutex> lock(m);
    if (auto p = registry[key].lock()) return p;
    auto p = std::shared_ptr<shared_producer>(new shared_producer(cfg));
    registry[key] = p;
    ++created_count();
    return p;
  }
  /// How many producers this process has created (tests check sharing).
  static std::atomic<std::int64_t>& created_count() {
    static std::atomic<std::int64_t> n{0};
    return n;
  }

  shared_producer(const shared_producer&) = delete;
  shared_producer& operator=(const shared_producer&) = delete;
  ~shared_producer() {
    rd_kafka_flush(rk_.get(), 10000);
    for (auto& [name, t] : topics_) rd_kafka_topic_destroy(t);
  }  // rk_ goes before retired_: no report comes after that

  rd_kafka_t* native() const { return rk_.get(); }
  const config& cfg() const { return cfg_; }

  /// A topic handle, cached for the producer's life.
  rd_kafka_topic_t* topic(const std::string& name) {
    std::lock_guard<std::mutex> lock(topics_m_);
    auto it = topics_.find(name);
    if (it != topics_.end()) return it->second;
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk_.get(), name.c_str(), nullptr);
    if (!t) detail::throw_error("kafka producer: topic handle for '" + name + "'", rd_kafka_last_error());
    topics_.emplace(name, t);
    return t;
  }

  /// Enqueues one message (copied). headers: owned by librdkafka afterwards
  /// (may be null). Waits while the local queue is full.
  void produce(rd_kafka_topic_t* t, std::int32_t partition, const void* key, std::size_t key_len, const void* value,
               std::size_t value_len, rd_kafka_headers_t* headers, delivery_tracker* tracker) {
    if (tracker) tracker->pending.fetch_add(1, std::memory_order_relaxed);
    for (;;) {
      rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
      if (headers) {
        err = rd_kafka_producev(rk_.get(), RD_KAFKA_V_RKT(t), RD_KAFKA_V_PARTITION(partition),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(const_cast<void*>(value), value_len),
                                RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(tracker),
                                RD_KAFKA_V_END);
      } else if (rd_kafka_produce(t, partition, RD_KAFKA_MSG_F_COPY, const_cast<void*>(value), value_len, key, key_len,
                                  tracker) == -1) {  // the cheaper call (no varargs) when there are no headers
        err = rd_kafka_last_error();
      }
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk_.get(), 5);
        continue;
      }
      if (tracker) tracker->pending.fetch_sub(1);
      if (headers) rd_kafka_headers_destroy(headers);
      detail::throw_error("kafka producer: cannot produce to '" + std::string(rd_kafka_topic_name(t)) + "'", err);
    }
  }

  /// Keeps a tracker whose owner has gone until none of its messages is
  /// without a report (checked whenever another one is handed over).
  void keep_until_reported(std::shared_ptr<delivery_tracker> t) {
    std::lock_guard<std::mutex> lock(retired_m_);
    std::erase_if(retired_, [](const auto& r) { return r->pending.load(std::memory_order_acquire) == 0; });
    if (t && t->pending.load(std::memory_order_acquire) > 0) retired_.push_back(std::move(t));
  }

  /// Serves delivery reports for up to ms milliseconds.
  void poll(int ms) { rd_kafka_poll(rk_.get(), ms); }

  /// Waits until every message of `tracker` has its delivery report; throws
  /// on timeout. Failures stay in the tracker (check them after).
  void await(delivery_tracker& tracker, std::chrono::milliseconds timeout, const char* who) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (tracker.pending.load(std::memory_order_acquire) > 0) {
      if (std::chrono::steady_clock::now() > deadline)
        throw kafka_error(std::string(who) + ": " + std::to_string(tracker.pending.load()) +
                              " message(s) without a delivery report after " + std::to_string(timeout.count()) + " ms",
                          RD_KAFKA_RESP_ERR__TIMED_OUT);
      rd_kafka_poll(rk_.get(), 10);
    }
  }

 private:
  explicit shared_producer(const config& cfg) : cfg_(cfg) {
    auto conf = detail::make_conf(cfg, {}, {}, "kafka producer");
    rd_kafka_conf_set_dr_msg_cb(conf.get(), [](rd_kafka_t*, const rd_kafka_message_t* msg, void*) {
      if (auto* t = static_cast<delivery_tracker*>(msg->_private)) t->report(msg);
    });
    rk_ = detail::make_handle(RD_KAFKA_PRODUCER, std::move(conf), "kafka producer");
  }

  config cfg_;
  std::mutex retired_m_;
  std::vector<std::shared_ptr<delivery_tracker>> retired_;  // declared before rk_: outlives it
  detail::handle rk_;
  std::mutex topics_m_;
  std::unordered_map<std::string, rd_kafka_topic_t*> topics_;
};

/// A producer and the tracker of the messages one owner sends through it.
/// Destroying it (or reset()) never waits: call drain() first for that.
class tracked_producer {
 public:
  tracked_producer() = default;
  explicit tracked_producer(std::shared_ptr<shared_producer> p)
      : p_(std::move(p)), t_(std::make_shared<delivery_tracker>()) {}
  tracked_producer(tracked_producer&&) noexcept = default;
  tracked_producer& operator=(tracked_producer&& o) noexcept {
    if (this != &o) {
      reset();
      p_ = std::move(o.p_);
      t_ = std::move(o.t_);
    }
    return *this;
  }
  ~tracked_producer() { reset(); }

  explicit operator bool() const noexcept { return p_ != nullptr; }
  shared_producer& producer() const noexcept { return *p_; }
  rd_kafka_t* native() const noexcept { return p_->native(); }
  delivery_tracker& tracker() const noexcept { return *t_; }
  std::int64_t pending() const noexcept { return t_->pending.load(std::memory_order_acquire); }

  /// Produces a message, tracked unless `tracked` is false (delivery::none).
  void produce(rd_kafka_topic_t* t, std::int32_t partition, const void* key, std::size_t key_len, const void* value,
               std::size_t value_len, rd_kafka_headers_t* headers = nullptr, bool tracked = true) {
    p_->produce(t, partition, key, key_len, value, value_len, headers, tracked ? t_.get() : nullptr);
  }
  /// Waits for every report (throws on timeout); check() then throws the first failure.
  void await(std::chrono::milliseconds timeout, const char* who) { p_->await(*t_, timeout, who); }
  void check(const char* who) { t_->check(who); }
  /// Best effort, at the end: waits up to `timeout` for outstanding reports.
  void drain(std::chrono::milliseconds timeout, const char* who) noexcept {
    if (!p_ || pending() == 0) return;
    try {
      await(timeout, who);
    } catch (...) {
    }
  }
  /// Lets go of the producer (destroyed here if this was its last owner).
  void reset() noexcept {
    if (!p_) return;
    if (pending() > 0) p_->keep_until_reported(std::move(t_));
    t_.reset();
    p_.reset();
  }

 private:
  std::shared_ptr<shared_producer> p_;
  std::shared_ptr<delivery_tracker> t_;
};

}  // namespace spate::kafka
