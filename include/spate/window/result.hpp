#pragma once
// What a window emits: the key, the window's bounds [start, end) and the value
// the window function computed. Whole-stream windows (window_all) carry no key.
// Count and global windows have no time bounds: their start and end are both
// zero ([0, 0)), also when the window was given a timestamp function, which
// is what docs/windows.md promises.
#include <cstdint>
#include <ostream>
#include <tuple>
#include <type_traits>

#include "../core/flow.hpp"
#include "../core/time.hpp"
#include "../serde/codec.hpp"

namespace spate {

/// The bounds of a time window, [start, end).
struct time_window {
  event_time start{};
  event_time end{};
  /// The last timestamp inside: end − 1 ms. The window fires when the watermark reaches it.
  constexpr event_time max_timestamp() const noexcept { return end - duration{1}; }
  friend constexpr bool operator==(const time_window&, const time_window&) = default;
};

template <class K, class V>
struct window_result {
  K key;
  event_time start{};
  event_time end{};
  V value;
  time_window window() const noexcept { return {start, end}; }
  friend bool operator==(const window_result&, const window_result&) = default;
  friend std::ostream& operator<<(std::ostream& os, const window_result& w) {
    os << '(' << w.key << ", [" << to_millis(w.start) << ", " << to_millis(w.end) << "), ";
    return os << w.value << ')';
  }
};

template <class V>
struct window_result<no_key, V> {
  event_time start{};
  event_time end{};
  V value;
  time_window window() const noexcept { return {start, end}; }
  friend bool operator==(const window_result&, const window_result&) = default;
  friend std::ostream& operator<<(std::ostream& os, const window_result& w) {
    return os << "([" << to_millis(w.start) << ", " << to_millis(w.end) << "), " << w.value << ')';
  }
};

/// A whole-stream window's result.
template <class V>
using all_window_result = window_result<no_key, V>;

namespace detail {
template <class K, class V>
window_result<K, std::remove_cvref_t<V>> make_window_result(const K& k, time_window w, V&& v) {
  if constexpr (std::is_same_v<K, no_key>)
    return {w.start, w.end, std::forward<V>(v)};
  else
    return {k, w.start, w.end, std::forward<V>(v)};
}
}  // namespace detail

namespace serde {
// A window's result in checkpoints (a window over another window's results
// buffers them): the key, the bounds as milliseconds, the value.
template <Encodable K, Encodable V>
struct codec<window_result<K, V>> {
  static void write(writer& w, const window_result<K, V>& r) {
    if constexpr (!std::is_same_v<K, no_key>) codec<K>::write(w, r.key);
    codec<std::int64_t>::write(w, to_millis(r.start));
    codec<std::int64_t>::write(w, to_millis(r.end));
    codec<V>::write(w, r.value);
  }
  static result<window_result<K, V>> read(reader& r) {
    window_result<K, V> out{};
    if constexpr (!std::is_same_v<K, no_key>) {
      auto k = codec<K>::read(r);
      if (!k) return std::move(k).error();
      out.key = std::move(*k);
    }
    auto t = codec<std::tuple<std::int64_t, std::int64_t, V>>::read(r);
    if (!t) return std::move(t).error();
    out.start = from_millis(std::get<0>(*t));
    out.end = from_millis(std::get<1>(*t));
    out.value = std::move(std::get<2>(*t));
    return out;
  }
};
template <>
struct codec<no_key> {
  static constexpr std::size_t min_size = 0;
  static void write(writer&, no_key) {}
  static result<no_key> read(reader&) { return no_key{}; }
};
}  // namespace serde

}  // namespace spate
