#pragma once
// The type-level description of what flows between two stages: the record
// type, and the key type when the stream is keyed (after key_by).
#include <type_traits>

namespace spate {

struct no_key {};

template <class T, class Key = no_key>
struct flow {
  using value_type = T;
  using key_type = Key;
  static constexpr bool keyed = !std::is_same_v<Key, no_key>;
};

template <class F>
using flow_value_t = typename F::value_type;

}  // namespace spate
