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

/// One event of the sequence as a view of one kind sees it: its date_time
/// (every event has one) and the record if the event is of the view's kind.
template <class T>
struct timed {
  std::int64_t date_time = 0;
  std::optional<T> value;
};

/// The date_time of a timed event or of a record of any kind: the views'
/// timestamp function, taken before their filter and, by the windows and
/// joins after it, on the records themselves.
struct date_time_fn {
  template <class R>
  std::int64_t operator()(const R& r) const noexcept {
    return r.date_time;
  }
};

struct has_value_fn {
  template <class T>
  bool operator()(const timed<T>& e) const noexcept {
    return e.value.has_value();
  }
};
template <class T>
struct unwrap_fn {
  template <class E>
  T operator()(E&& e) const {
    return std::forward<E>(e).value.value();
  }
};
/// Event number i as the view of one kind sees it; the date_time of an event
/// of another kind costs one lookup, not the event.
template <class T, std::optional<T> (generator::*At)(std::uint64_t) const>
struct view_at_fn {
  generator g;
  timed<T> operator()(std::uint64_t i) const {
    timed<T> e{0, (g.*At)(i)};
    e.date_time = e.value ? e.value->date_time : g.date_time_at(i);
    return e;
  }
};
using person_at_fn = view_at_fn<person, &generator::person_at>;
using auction_at_fn = view_at_fn<auction, &generator::auction_at>;
using bid_at_fn = view_at_fn<bid, &generator::bid_at>;

struct event_time_fn {
  std::int64_t operator()(const event& e) const noexcept { return date_time_of(e); }
};

/// Events 0 .. n-1, all kinds.
inline auto events(const generator& g, std::uint64_t n) {
  return spate::generate(g, n) | spate::with_watermarks(event_time_fn{}, watermark_4s{});
}
// The views of one kind take the watermark of the whole event sequence
// before they filter it, as the DDL's views of one watermarked table do: a
// parallel shard that holds no event of the kind (at an even parallelism,
// every person falls into even shards) still moves event time on.
// [doc:nexmark-bids]
/// The bids among events 0 .. n-1 (the DDL's bid view).
inline auto bids(const generator& g, std::uint64_t n) {
  return spate::generate(bid_at_fn{g}, n) | spate::with_watermarks(date_time_fn{}, watermark_4s{}) |
         spate::filter(has_value_fn{}) | spate::map(unwrap_fn<bid>{});
}
// [end]
inline auto auctions(const generator& g, std::uint64_t n) {
  return spate::generate(auction_at_fn{g}, n) | spate::with_watermarks(date_time_fn{}, watermark_4s{}) |
         spate::filter(has_value_fn{}) | spate::map(unwrap_fn<auction>{});
}
inline auto persons(const generator& g, std::uint64_t n) {
  return spate::generate(person_at_fn{g}, n) | spate::with_watermarks(date_time_fn{}, watermark_4s{}) |
         spate::filter(has_value_fn{}) | spate::map(unwrap_fn<person>{});
}

}  // namespace nexmark
