#pragma once
// Snapshots of stage state through spate's binary serializer (serde::binary):
// a stateful stage's snapshot(out) appends one binary record holding all its
// state; restore(in) replaces the state with it (restore(snapshot(s)) == s).
// The state cells of primitives.hpp encode as what they hold.
#include <bit>
#include <cstddef>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../serde/binary.hpp"
#include "primitives.hpp"

namespace spate {

namespace serde {
template <class V>
struct codec<value_state<V>> {
  static void write(writer& w, const value_state<V>& s) { codec<std::optional<V>>::write(w, s.v); }
  static result<value_state<V>> read(reader& r) {
    auto x = codec<std::optional<V>>::read(r);
    if (!x) return std::move(x).error();
    return value_state<V>{std::move(*x)};
  }
};
template <class V>
struct codec<list_state<V>> {
  static void write(writer& w, const list_state<V>& s) { codec<std::vector<V>>::write(w, s.items); }
  static result<list_state<V>> read(reader& r) {
    auto x = codec<std::vector<V>>::read(r);
    if (!x) return std::move(x).error();
    return list_state<V>{std::move(*x)};
  }
};
template <class V, class F>
struct codec<reducing_state<V, F>> {
  static void write(writer& w, const reducing_state<V, F>& s) { codec<std::optional<V>>::write(w, s.v); }
  static result<reducing_state<V, F>> read(reader& r) {
    auto x = codec<std::optional<V>>::read(r);
    if (!x) return std::move(x).error();
    reducing_state<V, F> s;
    s.v = std::move(*x);
    return s;
  }
};
template <class K, class V>
struct codec<map_state<K, V>> {
  static void write(writer& w, const map_state<K, V>& s) {
    std::vector<std::pair<K, V>> v;
    s.m.for_each([&](const K& k, const V& x) { v.emplace_back(k, x); });
    codec<std::vector<std::pair<K, V>>>::write(w, v);
  }
  static result<map_state<K, V>> read(reader& r) {
    auto x = codec<std::vector<std::pair<K, V>>>::read(r);
    if (!x) return std::move(x).error();
    map_state<K, V> s;
    for (auto& [k, v] : *x) s.m[k] = std::move(v);
    return s;
  }
};
}  // namespace serde

namespace detail {
template <class T>
void snapshot_value(const T& v, std::string& out) {
  serde::binary<T>{}.serialize(v, out);
}
template <class T>
result<T> restore_value(std::string_view in) {
  return serde::binary<T>{}.deserialize(in);
}
/// A hash map's entries as a vector of pairs, for encoding.
template <class Map, class F>
auto entries_of(const Map& m, F&& f) {
  using E = std::remove_cvref_t<decltype(f(std::declval<const typename Map::key_type&>(),
                                           std::declval<const typename Map::mapped_type&>()))>;
  std::vector<E> v;
  v.reserve(m.size());
  m.for_each([&](const auto& k, const auto& x) { v.push_back(f(k, x)); });
  return v;
}
/// Encodes n entries exactly as snapshot_value of a std::vector<std::tuple<Ts...>>
/// would, but straight from where they are: no vector in between, and the
/// output reserved once. `each(emit)` calls emit(const Ts&...) for every
/// entry, n times in all. (The copy into a vector and the growth of an
/// unreserved string were most of a large keyed snapshot's time.)
template <class... Ts, class Each>
void snapshot_entries(std::size_t n, Each&& each, std::string& out) {
  static_assert(serde::Encodable<std::vector<std::tuple<Ts...>>>);
  if constexpr (std::endian::native == std::endian::little &&
                ((std::is_arithmetic_v<Ts> && !std::is_floating_point_v<Ts>) && ...)) {
    // Integers and bools are their own little-endian bytes (bool: 0 or 1):
    // sized once, written through a pointer.
    constexpr std::size_t entry = (sizeof(Ts) + ...);
    const std::size_t at = out.size();
    std::string head;
    serde::writer hw(head);
    hw.write_u8(serde::binary_magic);
    hw.write_u8(serde::binary_version);
    hw.write_varint(n);
    out.resize(at + head.size() + n * entry);
    char* p = out.data() + at;
    std::memcpy(p, head.data(), head.size());
    p += head.size();
    char* const end = out.data() + out.size();
    auto put = [&p]<class T>(const T& v) {
      if constexpr (std::is_same_v<T, bool>) *p++ = v ? 1 : 0;
      else {
        std::memcpy(p, &v, sizeof(T));
        p += sizeof(T);
      }
    };
    std::size_t written = 0;
    each([&](const Ts&... e) {
      if (++written > n) return;
      (put(e), ...);
    });
    if (written != n || p != end)
      throw std::logic_error("spate: a snapshot announced " + std::to_string(n) + " entries and wrote " +
                             std::to_string(written));
    return;
  }
  out.reserve(out.size() + 12 + n * serde::detail::min_size_sum<std::tuple<Ts...>>);
  serde::writer w(out);
  w.write_u8(serde::binary_magic);
  w.write_u8(serde::binary_version);
  w.write_varint(n);
  std::size_t written = 0;
  each([&](const Ts&... e) {
    (serde::codec<Ts>::write(w, e), ...);
    ++written;
  });
  if (written != n) throw std::logic_error("spate: a snapshot announced " + std::to_string(n) + " entries and wrote " +
                                           std::to_string(written));
}
}  // namespace detail

}  // namespace spate
