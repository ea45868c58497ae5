#pragma once
// either<A, B>: one record of a connected stream (join/connect.hpp), from
// input 1 (an A) or input 2 (a B), with the event time its input gave it.
// Two-input operators (co_map, co_process, the joins) take it apart; users
// meet it only when they write a stage of their own after connect.
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <type_traits>
#include <utility>
#include <variant>

#include "../core/time.hpp"
#include "../serde/codec.hpp"

namespace spate {

template <class A, class B>
struct either {
  using first_type = A;
  using second_type = B;
  /// The time a record carries when its input assigned none (no
  /// with_watermarks before connect): event-time joins refuse it.
  static constexpr std::int64_t untimed = INT64_MIN;

  std::variant<A, B> value;
  std::int64_t ts = untimed;  // event time in ms since the epoch

  static either first_of(A a, std::int64_t t = untimed) { return {std::variant<A, B>(std::in_place_index<0>, std::move(a)), t}; }
  static either second_of(B b, std::int64_t t = untimed) { return {std::variant<A, B>(std::in_place_index<1>, std::move(b)), t}; }

  /// 1 for a record of the first input, 2 for the second (Flink's processElement1/2).
  std::size_t side() const noexcept { return value.index() + 1; }
  bool is_first() const noexcept { return value.index() == 0; }
  const A& first() const { return *std::get_if<0>(&value); }
  const B& second() const { return *std::get_if<1>(&value); }
  A& first() { return *std::get_if<0>(&value); }
  B& second() { return *std::get_if<1>(&value); }
  bool timed() const noexcept { return ts != untimed; }
  event_time timestamp() const noexcept { return from_millis(ts); }

  friend bool operator==(const either&, const either&) = default;
  friend std::ostream& operator<<(std::ostream& os, const either& e) {
    os << (e.is_first() ? "1:" : "2:");
    if constexpr (requires { os << e.first(); os << e.second(); }) {
      if (e.is_first()) os << e.first();
      else os << e.second();
    }
    return os;
  }
};

template <class T>
inline constexpr bool is_either_v = false;
template <class A, class B>
inline constexpr bool is_either_v<either<A, B>> = true;

/// The event time an either carries (a timestamp function for windows over a
/// connected stream).
struct either_time {
  template <class A, class B>
  event_time operator()(const either<A, B>& e) const noexcept {
    return e.timestamp();
  }
};

namespace serde {
// A side byte (0 or 1), the record, then the event time.
template <Encodable A, Encodable B>
struct codec<either<A, B>> {
  static constexpr std::size_t min_size = 1 + 8;
  static void write(writer& w, const either<A, B>& e) {
    w.write_u8(static_cast<std::uint8_t>(e.value.index()));
    if (e.is_first()) codec<A>::write(w, e.first());
    else codec<B>::write(w, e.second());
    codec<std::int64_t>::write(w, e.ts);
  }
  static result<either<A, B>> read(reader& r) {
    auto tag = r.read_u8();
    if (!tag) return std::move(tag).error();
    if (*tag > 1) return r.fail_at(r.offset() - 1, "invalid either side " + detail::hex_byte(*tag) + " (expected 0x00 or 0x01)");
    either<A, B> e;
    if (*tag == 0) {
      auto a = codec<A>::read(r);
      if (!a) return std::move(a).error();
      e.value.template emplace<0>(std::move(*a));
    } else {
      auto b = codec<B>::read(r);
      if (!b) return std::move(b).error();
      e.value.template emplace<1>(std::move(*b));
    }
    auto t = codec<std::int64_t>::read(r);
    if (!t) return std::move(t).error();
    e.ts = *t;
    return e;
  }
};
}  // namespace serde

}  // namespace spate
