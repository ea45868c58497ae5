#pragma once
// key_by(k): partitions the stream by key. The stages after it (reduce, fold,
// aggregate, window, process) keep state per key; in a parallel executor
// key_by is where records are shuffled to the worker that owns their key.
//   key_by([](const Click& c) { return c.user; })   // a function
//   key_by(&Click::user)                            // a member (any struct)
//   key_by(field<"user">)                           // a Hana-reflected member, by name
//   key_by<0>()                                     // an element of a tuple or pair
// A stage that does not work per key (map, filter...) after key_by sees a
// plain stream again, as in Flink.
#include <concepts>
#include <cstddef>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../core/key_group.hpp"
#include "stage.hpp"

namespace spate {

template <class KeyFn>
struct key_by_stage : stage_tag {
  KeyFn key;
  static constexpr const char* name = "key_by";

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!stage_invocable<KeyFn, const T&>) {
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"key_by", T, KeyFn>>;
      return false;
    } else if constexpr (std::is_void_v<stage_result_t<KeyFn, const T&>>) {
      (void)&diagnostic::report<diagnostic::stage_bad_result<"key_by", T, void>>;
      return false;
    } else {
      return true;
    }
  }
  template <class Flow>
  using key_type = std::remove_cvref_t<stage_result_t<KeyFn, const typename Flow::value_type&>>;
  template <class Flow>
  using output = flow<typename Flow::value_type, key_type<Flow>>;

  /// How a parallel executor routes a record at this key_by: its key, and
  /// the worker that owns the key's group (core/key_group.hpp). Each shuffle
  /// instance owns a router, so a key function with state of its own is
  /// never shared between threads.
  struct router {
    KeyFn key;
    stage_label label;
    key_groups groups;
    template <class R>
    decltype(auto) key_of(const R& r) {
      return detail::call_user(label, key, r);
    }
    template <class K>
    std::size_t worker_of(const K& k, std::size_t workers) const {
      return groups.worker_of(k, workers);
    }
    /// A record that is not routed by key but stays on the worker that
    /// produced it (a broadcast side's: join/connect.hpp's broadcast_side).
    template <class R>
      requires requires(const R& r) { KeyFn::stays_local(r); }
    static bool stays_local(const R& r) noexcept {
      return KeyFn::stays_local(r);
    }
  };
  router route(stage_label label, key_groups groups = {}) const { return {key, label, groups}; }

  template <class Down>
  struct built : forward_control<Down> {
    KeyFn key;
    stage_label label;
    template <class R>
    bool push(R&& r) {
      decltype(auto) k = detail::call_user(label, key, std::as_const(r));
      return push_to(this->down, &k, std::forward<R>(r));
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    return built<std::remove_cvref_t<Down>>{{std::forward<Down>(down)}, key, label};
  }
};

template <class T>
inline constexpr bool is_key_by_v = false;
template <class K>
inline constexpr bool is_key_by_v<key_by_stage<K>> = true;

namespace detail {
template <std::size_t I>
struct tuple_element_key {
  template <class T>
  constexpr decltype(auto) operator()(const T& t) const {
    using std::get;
    return get<I>(t);
  }
};
}  // namespace detail

/// Keys the stream by k(record) (a function, lambda or member pointer).
template <class KeyFn>
constexpr auto key_by(KeyFn k) {
  return key_by_stage<KeyFn>{{}, std::move(k)};
}
/// Keys a stream of tuples or pairs by element I.
template <std::size_t I>
constexpr auto key_by() {
  return key_by_stage<detail::tuple_element_key<I>>{{}, {}};
}

}  // namespace spate
