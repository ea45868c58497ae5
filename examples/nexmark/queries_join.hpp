#pragma once
// Nexmark q3, q20 (regular joins), q9 (winning bids), q4 and q6 (built on
// q9): two inputs keyed alike, co_process with keyed state and timers.
#include <spate/spate.hpp>

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <string>
#include <vector>

#include "rows.hpp"

namespace nexmark {

// q3: local item suggestion. Sellers in OR, ID or CA of auctions in
// category 10: an inner join of auctions and people on seller = id.
struct q3_join {
  struct seller {
    BOOST_HANA_DEFINE_STRUCT(seller, (std::string, name), (std::string, city), (std::string, state));
  };
  struct state_type {
    spate::value_state<seller> person;
    spate::list_state<std::int64_t> auctions;  // auctions that came before their seller
  };
  using output_type = q3_row;
  void process1(const auction& a, auto& ctx, auto& out) {
    state_type& s = ctx.state();
    if (s.person.has_value()) {
      const seller& p = s.person.value();
      out.collect(q3_row{p.name, p.city, p.state, a.id});
    } else {
      s.auctions.add(a.id);
    }
  }
  void process2(const person& p, auto& ctx, auto& out) {
    state_type& s = ctx.state();
    for (std::int64_t id : s.auctions.get()) out.collect(q3_row{p.name, p.city, p.state, id});
    s.auctions.clear();
    s.person.update(seller{p.name, p.city, p.state});
  }
};
template <class Auctions, class Persons>
auto q3(Auctions as, Persons ps) {
  return spate::connect(std::move(as) | spate::filter([](const auction& a) { return a.category == 10; }),
                        std::move(ps) | spate::filter([](const person& p) {
                          return p.state == "OR" || p.state == "ID" || p.state == "CA";
                        })) |
         spate::key_by(&auction::seller, &person::id) | spate::co_process(q3_join{});
}

// q20: each bid with its auction, for auctions of category 10.
struct q20_join {
  struct state_type {
    spate::value_state<auction> auc;        // the auction, once it came (category 10)
    spate::value_state<bool> other;         // the auction came and is not of category 10
    spate::list_state<bid> waiting;         // bids that came before their auction
  };
  using output_type = q20_row;
  void process1(const bid& b, auto& ctx, auto& out) {
    state_type& s = ctx.state();
    if (s.auc.has_value()) out.collect(q20_row{b, s.auc.value()});
    else if (!s.other.has_value()) s.waiting.add(b);
  }
  void process2(const auction& a, auto& ctx, auto& out) {
    state_type& s = ctx.state();
    if (a.category == 10) {
      for (const bid& b : s.waiting.get()) out.collect(q20_row{b, a});
      s.auc.update(a);
    } else {
      s.other.update(true);
    }
    s.waiting.clear();
  }
};
template <class Bids, class Auctions>
auto q20(Bids bs, Auctions as) {
  return spate::connect(std::move(bs), std::move(as)) | spate::key_by(&bid::auction, &auction::id) |
         spate::co_process(q20_join{});
}

// q9: winning bids. Per auction, the highest bid (the earliest of equal ones)
// made between its start and its expiry, emitted when the auction closes
// (the watermark passes expires).
inline bool better_bid(const bid& x, const bid& y) {  // x beats y
  return x.price != y.price ? x.price > y.price : x.date_time < y.date_time;
}
struct q9_winner {
  struct state_type {
    spate::value_state<auction> auc;
    spate::value_state<bid> best;
    spate::list_state<bid> early;     // bids that came before their auction
    spate::value_state<bool> closed;  // the auction closed: later bids are too late
  };
  using output_type = q9_row;
  static void offer(state_type& s, const auction& a, const bid& b) {
    if (b.date_time < a.date_time || b.date_time > a.expires) return;
    if (!s.best.has_value() || better_bid(b, s.best.value())) s.best.update(b);
  }
  void process1(const auction& a, auto& ctx, auto&) {
    state_type& s = ctx.state();
    s.auc.update(a);
    for (const bid& b : s.early.get()) offer(s, a, b);
    s.early.clear();
    ctx.register_event_time_timer(spate::from_millis(a.expires));
  }
  void process2(const bid& b, auto& ctx, auto&) {
    state_type& s = ctx.state();
    if (s.closed.has_value()) return;
    if (s.auc.has_value()) offer(s, s.auc.value(), b);
    else s.early.add(b);
  }
  void on_timer(spate::event_time, auto& ctx, auto& out) {
    state_type& s = ctx.state();
    if (s.auc.has_value() && s.best.has_value()) out.collect(q9_row{s.auc.value(), s.best.value()});
    s.auc.clear();
    s.best.clear();
    s.early.clear();
    s.closed.update(true);
  }
};
// [doc:nexmark-q9]
template <class Auctions, class Bids>
auto q9(Auctions as, Bids bs) {
  return spate::connect(std::move(as), std::move(bs)) | spate::key_by(&auction::id, &bid::auction) |
         spate::co_process(q9_winner{});
}
// [end]

// q4: average price per category: the average of the winning bids' prices of
// the closed auctions of each category (updated at every close).
struct q4_average {
  struct acc {
    std::int64_t sum = 0, n = 0;
  };
  acc create_accumulator() const { return {}; }
  acc add(const q9_row& r, acc a) const { return {a.sum + r.b.price, a.n + 1}; }
  std::int64_t get_result(const acc& a) const { return a.sum / a.n; }
  acc merge(acc a, const acc& b) const { return {a.sum + b.sum, a.n + b.n}; }
};
template <class Auctions, class Bids>
auto q4(Auctions as, Bids bs) {
  return q9(std::move(as), std::move(bs)) | spate::key_by([](const q9_row& r) { return r.a.category; }) |
         spate::aggregate(q4_average{}) |
         spate::map([](const std::pair<std::int64_t, std::int64_t>& p) { return q4_row{p.first, p.second}; });
}

// q6: average selling price by seller: per seller, the average of the
// winning prices of their last 10 closed auctions (updated at every close).
// "Last" is by (expires, auction id): auctions that close at the same
// watermark reach the stage in no set order, so each is put in its place.
struct q6_last10 {
  struct state_type {
    spate::list_state<std::tuple<std::int64_t, std::int64_t, std::int64_t>> closed;  // (expires, id, price)
  };
  using output_type = q6_row;
  void process(const q9_row& r, auto& ctx, auto& out) {
    state_type& s = ctx.state();
    auto v = s.closed.get();
    const std::tuple<std::int64_t, std::int64_t, std::int64_t> e{r.a.expires, r.a.id, r.b.price};
    v.insert(std::upper_bound(v.begin(), v.end(), e), e);
    if (v.size() > 10) v.erase(v.begin());
    std::int64_t sum = 0;
    for (const auto& x : v) sum += std::get<2>(x);
    out.collect(q6_row{r.a.seller, sum / static_cast<std::int64_t>(v.size())});
    s.closed.update(std::move(v));
  }
};
template <class Auctions, class Bids>
auto q6(Auctions as, Bids bs) {
  return q9(std::move(as), std::move(bs)) | spate::key_by([](const q9_row& r) { return r.a.seller; }) |
         spate::process(q6_last10{});
}

}  // namespace nexmark

// The state the queries keep, reflected: binary encodings for checkpoints
// (tests/nexmark/restore.cpp restores every stateful query).
BOOST_HANA_ADAPT_STRUCT(nexmark::q3_join::state_type, person, auctions);
BOOST_HANA_ADAPT_STRUCT(nexmark::q20_join::state_type, auc, other, waiting);
BOOST_HANA_ADAPT_STRUCT(nexmark::q9_winner::state_type, auc, best, early, closed);
BOOST_HANA_ADAPT_STRUCT(nexmark::q6_last10::state_type, closed);
BOOST_HANA_ADAPT_STRUCT(nexmark::q4_average::acc, sum, n);
