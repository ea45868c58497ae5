#pragma once
// take(n): passes the first n records, then tells the source to stop (early
// exit through the protocol: push returns false).
#include <cstdint>
#include <type_traits>

#include "../state/snapshot.hpp"
#include "stage.hpp"

namespace spate {

struct take_stage : stage_tag {
  std::uint64_t n;
  static constexpr const char* name = "take";

  template <class Flow>
  static constexpr bool check() { return true; }
  template <class Flow>
  using output = flow<typename Flow::value_type>;

  template <class Down>
  struct built : forward_control<Down> {
    std::uint64_t left;
    template <class R>
    bool push(R&& r) {
      if (left == 0) return false;
      --left;
      return this->down.push(std::forward<R>(r)) && left > 0;
    }
    static constexpr bool keeps_state = true;
    void snapshot(std::string& out) const { detail::snapshot_value(left, out); }
    bool restore(std::string_view in) {
      auto v = detail::restore_value<std::uint64_t>(in);
      if (!v) return false;
      left = *v;
      return true;
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label, Down&& down) const {
    return built<std::remove_cvref_t<Down>>{{std::forward<Down>(down)}, n};
  }
};

/// The first n records, then stop.
constexpr take_stage take(std::uint64_t n) { return take_stage{{}, n}; }

}  // namespace spate
