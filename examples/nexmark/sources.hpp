#pragma once
// The Nexmark streams as spate sources: the events of one generator, either
// all of them (a variant) or one kind (the DDL's person / auction / bid views),
// each with the DDL's watermark, `dateTime - INTERVAL '4' SECOND`.
#include <spate/spate.hpp>

#include <chrono>
#include <cstdint>
#include <optional>

#include "generator.hpp"

namespace nexmark {

/// The watermark of the Nexmark DDL: the largest date_time seen minus 4 s
/// (Flink SQL's watermark expression, without the 1 ms of the DataStream
/// API's bounded out-of-orderness).
struct watermark_4s {
  spate::event_time max_seen = spate::min_watermark;
  void on_event(spate::event_time t) noexcept { max_seen = std::max(max_seen, t); }
  spate::event_time current() const noexcept {
    return max_seen == spate::min_watermark ? spate::min_watermark : max_seen - std::chrono::seconds(4);
  }
};

struct has_value_fn {
  template <class T>
  bool operator()(const std::optional<T>& o) const noexcept {
    return o.has_value();
  }
};
template <class T>
struct unwrap_fn {
  template <class O>
  T operator()(O&& o) const {
    return std::forward<O>(o).value();
  }
};
struct person_at_fn {
  generator g;
  std::optional<person> operator()(std::uint64_t i) const { return g.person_at(i); }
};
struct auction_at_fn {
  generator g;
  std::optional<auction> operator()(std::uint64_t i) const { return g.auction_at(i); }
};
struct bid_at_fn {
  generator g;
  std::optional<bid> operator()(std::uint64_t i) const { return g.bid_at(i); }
};
struct event_time_fn {
  std::int64_t operator()(const event& e) const noexcept { return date_time_of(e); }
};

/// Events 0 .. n-1, all kinds.
inline auto events(const generator& g, std::uint64_t n) {
  return spate::generate(g, n) | spate::with_watermarks(event_time_fn{}, watermark_4s{});
}
// [doc:nexmark-bids]
/// The bids among events 0 .. n-1 (the DDL's bid view).
inline auto bids(const generator& g, std::uint64_t n) {
  return spate::generate(bid_at_fn{g}, n) | spate::filter(has_value_fn{}) | spate::map(unwrap_fn<bid>{}) |
         spate::with_watermarks(&bid::date_time, watermark_4s{});
}
// [end]
inline auto auctions(const generator& g, std::uint64_t n) {
  return spate::generate(auction_at_fn{g}, n) | spate::filter(has_value_fn{}) | spate::map(unwrap_fn<auction>{}) |
         spate::with_watermarks(&auction::date_time, watermark_4s{});
}
inline auto persons(const generator& g, std::uint64_t n) {
  return spate::generate(person_at_fn{g}, n) | spate::filter(has_value_fn{}) | spate::map(unwrap_fn<person>{}) |
         spate::with_watermarks(&person::date_time, watermark_4s{});
}

}  // namespace nexmark
