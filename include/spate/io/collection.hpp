#pragma once
// Sources over data in memory:
//   from_collection(v)        a container: referenced if an lvalue, moved in if an rvalue
//   from_range(r)             any range, range-v3 views included (same rules)
//   from_elements(a, b, c)    the given values
// With P shards, a sized random-access range is cut into P contiguous parts
// (order kept within each); other ranges are dealt round-robin.
#include <cstddef>
#include <cstdint>
#include <string>
#include <iterator>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "../exec/barriers.hpp"
#include "source.hpp"

namespace spate {

template <class R>
struct range_source : source_tag {
  // An lvalue range is held by pointer (no copy of the user's data); an
  // rvalue is owned, shared between copies of the pipeline.
  using stored = std::conditional_t<std::is_lvalue_reference_v<R>, std::remove_reference_t<R>*,
                                    std::shared_ptr<std::remove_cvref_t<R>>>;
  stored data;
  static constexpr const char* name = "range source";
  using range_type = std::remove_reference_t<R>;
  using value_type = std::remove_cvref_t<decltype(*std::begin(std::declval<range_type&>()))>;

  range_type& range() const { return *data; }

  template <class Down>
  struct driver : driver_base<driver<Down>, Down> {
    using iter = decltype(std::begin(std::declval<range_type&>()));
    using sent = decltype(std::end(std::declval<range_type&>()));
    iter it;
    sent end;
    std::size_t stride;  // 1, or P when dealing round-robin
    std::uint64_t taken = 0;  // records of this shard pushed so far (its position)

    /// The position for a checkpoint: how many records of the shard were read.
    void position(std::string& out) const { out = std::to_string(taken); }

    poll_result poll(std::size_t max) {
      if (this->done) return {0, poll_status::ended};
      std::size_t n = 0;
      while (n < max && !(it == end)) {
        ++n;
        ++taken;
        bool go = this->down->push(*it);
        advance();
        if (!go) return this->finish(n, true);
      }
      if (it == end) return this->finish(n, false);
      return {n, poll_status::more};
    }
    bool drain() {
      if (this->done) return true;
      if (stride == 1) {
        // The loop a person writes; after inlining the whole chain it is one loop.
        for (; it != end; ++it)
          if (!this->down->push(*it)) {
            ++it;
            this->finish(0, true);
            return false;
          }
        this->finish(0, false);
        return true;
      }
      return driver_base<driver<Down>, Down>::drain();
    }
    void advance() {
      for (std::size_t s = 0; s < stride && !(it == end); ++s) ++it;
    }
  };

  /// Shard `sh` resumed where a checkpoint left it (the same parallelism).
  template <class Env, class Down>
  auto open_at(Env& env, shard sh, Down& down, const exec::restored_input& at) const {
    auto d = open(env, sh, down);
    const std::uint64_t k = exec::restored_count(at, sh, name);
    for (std::uint64_t i = 0; i < k && !(d.it == d.end); ++i) d.advance();
    d.taken = k;
    return d;
  }

  template <class Env, class Down>
  auto open(Env&, shard sh, Down& down) const {
    range_type& r = range();
    using D = driver<Down>;
    if constexpr (std::random_access_iterator<typename D::iter> &&
                  std::is_same_v<typename D::iter, typename D::sent>) {
      auto b = std::begin(r);
      auto size = static_cast<std::size_t>(std::end(r) - b);
      auto lo = size * sh.index / sh.count, hi = size * (sh.index + 1) / sh.count;
      return D{{&down}, b + static_cast<std::ptrdiff_t>(lo), b + static_cast<std::ptrdiff_t>(hi), 1};
    } else {
      D d{{&down}, std::begin(r), std::end(r), sh.count};
      for (std::size_t s = 0; s < sh.index && !(d.it == d.end); ++s) ++d.it;
      return d;
    }
  }
};

/// A source over a container or range. Lvalues are referenced: keep them alive
/// until the job has run. Rvalues are moved into the source.
template <class R>
auto from_range(R&& r) {
  if constexpr (std::is_lvalue_reference_v<R>)
    return range_source<R>{{}, &r};
  else
    return range_source<R>{{}, std::make_shared<std::remove_cvref_t<R>>(std::forward<R>(r))};
}
template <class R>
auto from_collection(R&& r) {
  return from_range(std::forward<R>(r));
}
/// A source of the given values (all converted to the first one's type).
template <class T, class... Ts>
auto from_elements(T first, Ts... rest) {
  return from_range(std::vector<T>{std::move(first), static_cast<T>(std::move(rest))...});
}

}  // namespace spate
