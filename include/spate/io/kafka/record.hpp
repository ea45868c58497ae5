#pragma once
// What a Kafka source hands its deserializer, and the deserializers.
//
//   kafka_record        a view of one consumed record: key, value, headers,
//                       topic, partition, offset, timestamp. Valid only during
//                       the deserialize call.
//   RecordDeserializer  D::value_type and d.deserialize(const kafka_record&)
//                       -> spate::result<value_type>: sees everything.
//   values(S)           adapts a value-only spate::Serializer (string_schema,
//                       binary<T>, json<T>, ...): deserializes the value bytes.
//   keys_values(KS, VS) std::pair<key, value> through two Serializers
//                       (serde::key_value<KS, VS> is adapted the same way).
//   with_metadata(S)    kafka_message<T>: the value through S plus an owned
//                       copy of key, topic, partition, offset, timestamp, headers.
// A source accepts a RecordDeserializer, a Serializer (as values(S)) or a
// serde::key_value (as keys_values).
#include <librdkafka/rdkafka.h>

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../../core/result.hpp"
#include "../../serde/serializer.hpp"
#include "../../serde/string_schema.hpp"

namespace spate::kafka {

/// A consumed record, borrowed from librdkafka for the duration of one call.
class kafka_record {
 public:
  explicit kafka_record(const rd_kafka_message_t* m) : m_(m) {}

  std::string_view topic() const { return rd_kafka_topic_name(m_->rkt); }
  std::int32_t partition() const { return m_->partition; }
  std::int64_t offset() const { return m_->offset; }
  /// The record's timestamp (ms since the epoch), create or log-append time.
  std::optional<std::int64_t> timestamp() const {
    rd_kafka_timestamp_type_t type;
    std::int64_t ts = rd_kafka_message_timestamp(m_, &type);
    if (type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || ts < 0) return std::nullopt;
    return ts;
  }
  /// The key bytes; empty for a null key (see has_key).
  std::string_view key() const {
    return m_->key ? std::string_view(static_cast<const char*>(m_->key), m_->key_len) : std::string_view{};
  }
  bool has_key() const { return m_->key != nullptr; }
  /// The value bytes; empty for a null value (a tombstone, see has_value).
  std::string_view value() const {
    return m_->payload ? std::string_view(static_cast<const char*>(m_->payload), m_->len) : std::string_view{};
  }
  bool has_value() const { return m_->payload != nullptr; }

  /// The last header named `name`, if any (a header may have a null value:
  /// then an empty view).
  std::optional<std::string_view> header(const char* name) const {
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(m_, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
    const void* v = nullptr;
    size_t n = 0;
    if (rd_kafka_header_get_last(hdrs, name, &v, &n) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
    return v ? std::string_view(static_cast<const char*>(v), n) : std::string_view{};
  }
  /// Calls f(name, value) for every header in order.
  template <class F>
  void for_each_header(F&& f) const {
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(m_, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
    const char* name;
    const void* v;
    size_t n;
    for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
      f(std::string_view(name), v ? std::string_view(static_cast<const char*>(v), n) : std::string_view{});
  }
  const rd_kafka_message_t* native() const { return m_; }

 private:
  const rd_kafka_message_t* m_;
};

/// A deserializer that sees the whole record.
template <class D>
concept RecordDeserializer = requires(const D& d, const kafka_record& r) {
  typename D::value_type;
  { d.deserialize(r) } -> std::same_as<result<typename D::value_type>>;
};

/// A key/value serializer in the form of serde::key_value.
template <class S>
concept KeyValueSerializer = requires(const S& s, std::string_view k, std::string_view v, std::string& out,
                                      const typename S::key_type& key, const typename S::mapped_type& val) {
  typename S::value_type;
  { s.deserialize(k, v) } -> std::same_as<result<typename S::value_type>>;
  s.serialize_key(key, out);
  s.serialize_value(val, out);
};

/// The value bytes through a value-only Serializer.
template <Serializer S>
struct value_deserializer {
  using value_type = typename S::value_type;
  [[no_unique_address]] S serializer{};
  result<value_type> deserialize(const kafka_record& r) const { return serializer.deserialize(r.value()); }
};
template <Serializer S>
value_deserializer<S> values(S s = {}) {
  return {std::move(s)};
}
/// Values as std::string (Flink's SimpleStringSchema).
inline value_deserializer<serde::string_schema> string_values() { return {}; }

/// (key, value) through a serde::key_value-like serializer; a null key or
/// value deserializes from empty bytes.
template <KeyValueSerializer S>
struct key_value_deserializer {
  using value_type = typename S::value_type;
  [[no_unique_address]] S serializer{};
  result<value_type> deserialize(const kafka_record& r) const { return serializer.deserialize(r.key(), r.value()); }
};
template <KeyValueSerializer S>
key_value_deserializer<S> keys_values(S s) {
  return {std::move(s)};
}

/// A record with its value deserialized and everything else copied.
template <class T>
struct kafka_message {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::optional<std::int64_t> timestamp;
  std::optional<std::string> key;
  T value{};
  std::vector<std::pair<std::string, std::string>> headers;
};
template <Serializer S>
struct metadata_deserializer {
  using value_type = kafka_message<typename S::value_type>;
  [[no_unique_address]] S serializer{};
  result<value_type> deserialize(const kafka_record& r) const {
    auto v = serializer.deserialize(r.value());
    if (!v.ok()) return std::move(v).error();
    value_type m;
    m.topic = std::string(r.topic());
    m.partition = r.partition();
    m.offset = r.offset();
    m.timestamp = r.timestamp();
    if (r.has_key()) m.key = std::string(r.key());
    m.value = std::move(v).value();
    r.for_each_header([&](std::string_view n, std::string_view hv) { m.headers.emplace_back(n, hv); });
    return m;
  }
};
template <Serializer S>
metadata_deserializer<S> with_metadata(S s = {}) {
  return {std::move(s)};
}

namespace detail {
/// Whatever the user gave, as a RecordDeserializer.
template <class D>
auto as_record_deserializer(D d) {
  if constexpr (RecordDeserializer<D>)
    return d;
  else if constexpr (KeyValueSerializer<D>)
    return key_value_deserializer<D>{std::move(d)};
  else if constexpr (Serializer<D>)
    return value_deserializer<D>{std::move(d)};
  else
    static_assert(Serializer<D>,
                  "spate::kafka source: the deserializer must be a RecordDeserializer (deserialize(const "
                  "kafka_record&)), a spate::Serializer, or a serde::key_value");
}
template <class D>
using record_deserializer_t = decltype(as_record_deserializer(std::declval<D>()));
}  // namespace detail

}  // namespace spate::kafka
