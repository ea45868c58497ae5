#pragma once
// Consumed librdkafka messages, owned.
//   message_ptr     one rd_kafka_message_t, destroyed with its owner
//   message_batch   what one consume call returned: each message is taken
//                   out as a message_ptr; whatever was not taken when the
//                   batch is refilled or goes (e.g. after an exception) is
//                   destroyed then, before the consumer closes.
// A message must go before its consumer closes: owners live in the driver,
// which closes the consumer after them.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

namespace spate::kafka::detail {

struct message_deleter {
  void operator()(rd_kafka_message_t* m) const noexcept { rd_kafka_message_destroy(m); }
};
using message_ptr = std::unique_ptr<rd_kafka_message_t, message_deleter>;

class message_batch {
 public:
  explicit message_batch(std::size_t capacity) : buf_(capacity) {}
  message_batch(const message_batch&) = delete;
  message_batch& operator=(const message_batch&) = delete;
  ~message_batch() { clear(); }

  /// Up to `want` messages already waiting on q; if there are none, waits up
  /// to timeout_ms for one. Returns how many came.
  std::size_t fill(rd_kafka_queue_t* q, std::size_t want, int timeout_ms) {
    clear();
    waited_ = {};
    if (want > buf_.size()) want = buf_.size();
    ssize_t got = rd_kafka_consume_batch_queue(q, 0, buf_.data(), want);
    if (got <= 0) {
      const auto from = std::chrono::steady_clock::now();
      rd_kafka_message_t* m = rd_kafka_consume_queue(q, timeout_ms);
      got = m ? 1 : 0;
      if (m) buf_[0] = m;
      waited_ = std::chrono::steady_clock::now() - from;
    }
    size_ = static_cast<std::size_t>(got);
    return size_;
  }
  /// How long the last fill waited for a message (none waiting when it
  /// began), whether one came: time for the executor not to count as work.
  std::chrono::nanoseconds waited() const noexcept { return waited_; }
  /// The next message, owned by the caller; null when all were taken.
  message_ptr take() { return next_ < size_ ? message_ptr(buf_[next_++]) : message_ptr(); }
  /// Destroys the messages not taken.
  void clear() {
    while (next_ < size_) take();
    size_ = next_ = 0;
  }

 private:
  std::vector<rd_kafka_message_t*> buf_;
  std::size_t size_ = 0, next_ = 0;
  std::chrono::nanoseconds waited_{0};
};

}  // namespace spate::kafka::detail
