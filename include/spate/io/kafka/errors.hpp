#pragma once
// Kafka errors and the bad-record policy.
//   kafka_error          every failure of the connectors: unreachable brokers,
//                        missing topics, failed deliveries, aborted
//                        transactions, records that do not deserialize. The
//                        message says what, where (topic, partition, offset)
//                        and, when librdkafka gave one, its error name.
//   bad_record_policy    what a source does with a record its deserializer
//                        rejects: fail (default), skip and count, or send the
//                        raw record to a dead-letter topic with the error in a
//                        header.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace spate::kafka {

/// A Kafka connector failure. `code()` is librdkafka's error code when one
/// applies (RD_KAFKA_RESP_ERR_NO_ERROR otherwise).
class kafka_error : public std::runtime_error {
 public:
  explicit kafka_error(const std::string& what, rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR)
      : std::runtime_error(what), code_(code) {}
  rd_kafka_resp_err_t code() const noexcept { return code_; }

 private:
  rd_kafka_resp_err_t code_;
};

namespace detail {
// "what: Local: Broker transport failure (_TRANSPORT)"
inline std::string with_code(std::string what, rd_kafka_resp_err_t err) {
  what += ": ";
  what += rd_kafka_err2str(err);
  what += " (";
  what += rd_kafka_err2name(err);
  what += ")";
  return what;
}
[[noreturn]] inline void throw_error(std::string what, rd_kafka_resp_err_t err) {
  throw kafka_error(with_code(std::move(what), err), err);
}
// Takes ownership of e (may be null: then nothing happens).
inline void throw_if(rd_kafka_error_t* e, std::string what) {
  if (!e) return;
  rd_kafka_resp_err_t code = rd_kafka_error_code(e);
  what += ": ";
  what += rd_kafka_error_string(e);
  what += " (";
  what += rd_kafka_error_name(e);
  what += ")";
  rd_kafka_error_destroy(e);
  throw kafka_error(what, code);
}
}  // namespace detail

/// What a source does with a record that does not deserialize.
struct bad_record_policy {
  enum class action { fail, skip, dead_letter };
  action what = action::fail;
  std::string dead_letter_topic;  ///< for action::dead_letter
};
/// Stop the job with a kafka_error naming topic, partition and offset (default).
inline bad_record_policy fail() { return {bad_record_policy::action::fail, {}}; }
/// Drop the record and count it (source metrics: bad_records).
inline bad_record_policy skip() { return {bad_record_policy::action::skip, {}}; }
/// Produce the raw record (key, value, headers) to `topic`, adding the headers
/// spate.error, spate.topic, spate.partition and spate.offset; count it.
inline bad_record_policy dead_letter(std::string topic) {
  return {bad_record_policy::action::dead_letter, std::move(topic)};
}

}  // namespace spate::kafka
