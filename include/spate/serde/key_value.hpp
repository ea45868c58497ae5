#pragma once
// serde::key_value<KS, VS>: a record that is a (key, value) pair, each half
// with its own serializer — Kafka's key/value split.
//
// Kafka carries key and value in separate buffers: connectors call
// serialize_key / serialize_value / deserialize(key, value). The Serializer
// form (one buffer, for checkpoints and state) frames the pair as
//   varint(key byte length) | key bytes | value bytes.

#include <string>
#include <string_view>
#include <utility>

#include <spate/core/result.hpp>
#include <spate/serde/reader.hpp>
#include <spate/serde/serializer.hpp>
#include <spate/serde/writer.hpp>

namespace spate::serde {

template <Serializer KS, Serializer VS>
struct key_value {
  using key_type = typename KS::value_type;
  using mapped_type = typename VS::value_type;
  using value_type = std::pair<key_type, mapped_type>;

  [[no_unique_address]] KS key_serializer{};
  [[no_unique_address]] VS value_serializer{};

  void serialize_key(const key_type& k, std::string& out) const { key_serializer.serialize(k, out); }
  void serialize_value(const mapped_type& v, std::string& out) const { value_serializer.serialize(v, out); }

  // Error offsets are relative to the buffer that was bad; the field path
  // starts with "key" or "value" to say which one.
  result<value_type> deserialize(std::string_view key, std::string_view value) const {
    return decode(key, 0, value, 0);
  }

  void serialize(const value_type& kv, std::string& out) const {
    // The key's length is known only after encoding it: encode in place,
    // then slide the (short) length prefix in front of it.
    const auto start = out.size();
    key_serializer.serialize(kv.first, out);
    std::string prefix;
    writer(prefix).write_varint(out.size() - start);
    out.insert(start, prefix);
    value_serializer.serialize(kv.second, out);
  }

  result<value_type> deserialize(std::string_view in) const {
    reader r(in);
    auto n = r.read_length(0);
    if (!n) return with_source(std::move(n).error().in_field("key"));
    const auto key_at = r.offset();
    auto key = r.read_bytes(*n);  // cannot fail: read_length checked it fits
    if (!key) return with_source(std::move(key).error().in_field("key"));
    return decode(*key, key_at, r.rest(), r.offset());
  }

 private:
  result<value_type> decode(std::string_view key, std::size_t key_at, std::string_view value,
                            std::size_t value_at) const {
    auto k = key_serializer.deserialize(key);
    if (!k) return shifted(std::move(k).error(), key_at, "key");
    auto v = value_serializer.deserialize(value);
    if (!v) return shifted(std::move(v).error(), value_at, "value");
    return value_type(std::move(*k), std::move(*v));
  }

  static spate::error shifted(spate::error e, std::size_t by, std::string_view half) {
    if (e.offset != spate::error::npos) e.offset += by;
    return with_source(std::move(e.in_field(half)));
  }
  static spate::error with_source(spate::error e) {
    if (e.source.empty()) e.source = "key_value";
    return e;
  }
};

}  // namespace spate::serde
