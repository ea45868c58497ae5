#pragma once
// The Serializer concept: bytes in, record out. Sources, sinks, the Kafka
// connector and checkpoints all speak it, so any type that meets it can carry
// records across a process boundary.

#include <concepts>
#include <string>
#include <string_view>

#include <spate/core/result.hpp>

namespace spate {

// serialize APPENDS the encoding of v to out (one buffer may hold many
// records); deserialize takes exactly one record's bytes and returns the
// record or an error saying what is wrong and where — never UB on bad bytes.
// [doc:serializer_concept]
template <class S>
concept Serializer = requires(const S& s, const typename S::value_type& v, std::string& out, std::string_view in) {
  typename S::value_type;
  s.serialize(v, out);
  { s.deserialize(in) } -> std::same_as<result<typename S::value_type>>;
};

template <class S, class T>
concept SerializerOf = Serializer<S> && std::same_as<typename S::value_type, T>;
// [end]

// A Serializer whose encoding of v is bytes v already holds (a string is its
// own encoding): s.view(v) returns them without copying, and equals what
// serialize(v, out) would append. Sinks that hand bytes to a library which
// copies them anyway (the Kafka producer) skip their own buffer for these.
template <class S>
concept ViewSerializer = Serializer<S> && requires(const S& s, const typename S::value_type& v) {
  { s.view(v) } -> std::convertible_to<std::string_view>;
};

}  // namespace spate
