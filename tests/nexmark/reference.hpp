#pragma once
// Reference computations of the Nexmark queries over materialized events:
// plain loops and std containers, none of spate's stages, written from the
// queries' SQL (and the documented differences in docs/nexmark.md).
#include <algorithm>
#include <cstdint>
#include <ctime>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "generator.hpp"
#include "rows.hpp"

namespace ref {
using namespace nexmark;

struct streams {
  std::vector<person> persons;
  std::vector<auction> auctions;
  std::vector<bid> bids;
};

inline nexmark::config test_config() {
  nexmark::config c;
  c.event_rate = 1'000;  // 1 000 events/s of event time: 30 000 events span 30 s
  return c;
}

inline streams materialize(const generator& g, std::uint64_t n) {
  streams s;
  for (std::uint64_t i = 0; i < n; ++i) {
    event e = g(i);
    if (auto* p = std::get_if<person>(&e)) s.persons.push_back(*p);
    else if (auto* a = std::get_if<auction>(&e)) s.auctions.push_back(*a);
    else s.bids.push_back(std::get<bid>(e));
  }
  return s;
}

template <class T>
std::vector<std::string> texts(const std::vector<T>& rows) {
  std::vector<std::string> t;
  for (const auto& r : rows) t.push_back(row_text(r));
  std::sort(t.begin(), t.end());
  return t;
}

inline std::int64_t floor_to(std::int64_t t, std::int64_t size) { return t >= 0 ? t - t % size : t - ((t % size) + size) % size; }

inline std::string day_of(std::int64_t ms) {
  std::time_t s = ms / 1000;
  std::tm tm{};
  gmtime_r(&s, &tm);
  char b[64];
  std::snprintf(b, sizeof b, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return b;
}

inline std::vector<q5_row> q5(const streams& s) {
  std::map<std::int64_t, std::map<std::int64_t, std::int64_t>> counts;  // start -> auction -> n
  for (const auto& b : s.bids)
    for (std::int64_t start = floor_to(b.date_time, 2000); start > b.date_time - 10'000; start -= 2000)
      ++counts[start][b.auction];
  std::vector<q5_row> rows;
  for (const auto& [start, per] : counts) {
    std::int64_t maxn = 0;
    for (const auto& [a, n] : per) maxn = std::max(maxn, n);
    for (const auto& [a, n] : per)
      if (n >= maxn) rows.push_back({a, n, start});
  }
  return rows;
}

inline std::vector<q7_row> q7(const streams& s) {
  std::map<std::int64_t, std::int64_t> max;
  for (const auto& b : s.bids) {
    auto [it, fresh] = max.emplace(floor_to(b.date_time, 10'000), b.price);
    if (!fresh) it->second = std::max(it->second, b.price);
  }
  std::vector<q7_row> rows;
  for (const auto& b : s.bids)
    if (b.price == max[floor_to(b.date_time, 10'000)]) rows.push_back({b.auction, b.price, b.bidder, b.date_time, b.extra});
  return rows;
}

inline std::vector<q8_row> q8(const streams& s) {
  std::set<std::pair<std::int64_t, std::int64_t>> sellers;  // (seller, window start)
  for (const auto& a : s.auctions) sellers.insert({a.seller, floor_to(a.date_time, 10'000)});
  std::vector<q8_row> rows;
  for (const auto& p : s.persons) {
    const auto w = floor_to(p.date_time, 10'000);
    if (sellers.count({p.id, w})) rows.push_back({p.id, p.name, w});
  }
  return rows;
}

inline std::vector<q11_row> q11(const streams& s) {
  std::map<std::int64_t, std::vector<std::int64_t>> times;
  for (const auto& b : s.bids) times[b.bidder].push_back(b.date_time);
  std::vector<q11_row> rows;
  for (auto& [bidder, ts] : times) {
    std::sort(ts.begin(), ts.end());
    std::int64_t start = ts[0], end = ts[0] + 10'000, n = 0;
    for (auto t : ts) {
      if (t > end) {  // sessions that touch merge: a new one only after a gap
        rows.push_back({bidder, n, start, end});
        start = t, n = 0;
      }
      end = std::max(end, t + 10'000);
      ++n;
    }
    rows.push_back({bidder, n, start, end});
  }
  return rows;
}

inline std::vector<q3_row> q3(const streams& s) {
  std::unordered_map<std::int64_t, const person*> sellers;
  for (const auto& p : s.persons)
    if (p.state == "OR" || p.state == "ID" || p.state == "CA") sellers[p.id] = &p;
  std::vector<q3_row> rows;
  for (const auto& a : s.auctions)
    if (a.category == 10)
      if (auto it = sellers.find(a.seller); it != sellers.end())
        rows.push_back({it->second->name, it->second->city, it->second->state, a.id});
  return rows;
}

inline std::vector<q20_row> q20(const streams& s) {
  std::unordered_map<std::int64_t, const auction*> cat10;
  for (const auto& a : s.auctions)
    if (a.category == 10) cat10[a.id] = &a;
  std::vector<q20_row> rows;
  for (const auto& b : s.bids)
    if (auto it = cat10.find(b.auction); it != cat10.end()) rows.push_back({b, *it->second});
  return rows;
}

inline std::vector<q9_row> q9(const streams& s) {
  std::unordered_map<std::int64_t, std::vector<const bid*>> by_auction;
  for (const auto& b : s.bids) by_auction[b.auction].push_back(&b);
  std::vector<q9_row> rows;
  for (const auto& a : s.auctions) {
    const bid* best = nullptr;
    for (const bid* b : by_auction[a.id]) {
      if (b->date_time < a.date_time || b->date_time > a.expires) continue;
      if (!best || b->price > best->price || (b->price == best->price && b->date_time < best->date_time)) best = b;
    }
    if (best) rows.push_back({a, *best});
  }
  return rows;
}

inline std::vector<q4_row> q4(const streams& s) {
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> per;  // category -> (sum, n)
  for (const auto& w : q9(s)) {
    per[w.a.category].first += w.b.price;
    per[w.a.category].second += 1;
  }
  std::vector<q4_row> rows;
  for (const auto& [c, sn] : per) rows.push_back({c, sn.first / sn.second});
  return rows;
}

inline std::vector<q6_row> q6(const streams& s) {
  auto winners = q9(s);
  std::sort(winners.begin(), winners.end(), [](const q9_row& x, const q9_row& y) {
    return x.a.expires != y.a.expires ? x.a.expires < y.a.expires : x.a.id < y.a.id;
  });
  std::map<std::int64_t, std::vector<std::int64_t>> last;
  for (const auto& w : winners) {
    auto& v = last[w.a.seller];
    v.push_back(w.b.price);
    if (v.size() > 10) v.erase(v.begin());
  }
  std::vector<q6_row> rows;
  for (const auto& [seller, v] : last) {
    std::int64_t sum = 0;
    for (auto p : v) sum += p;
    rows.push_back({seller, sum / static_cast<std::int64_t>(v.size())});
  }
  return rows;
}

inline std::vector<q17_row> q17(const streams& s) {
  std::map<std::pair<std::int64_t, std::string>, q17_row> per;
  for (const auto& b : s.bids) {
    auto [it, fresh] = per.try_emplace({b.auction, day_of(b.date_time)});
    q17_row& r = it->second;
    if (fresh) r = {b.auction, day_of(b.date_time), 0, 0, 0, 0, b.price, b.price, 0, 0};
    ++r.total_bids;
    r.rank1_bids += b.price < 10'000;
    r.rank2_bids += b.price >= 10'000 && b.price < 1'000'000;
    r.rank3_bids += b.price >= 1'000'000;
    r.min_price = std::min(r.min_price, b.price);
    r.max_price = std::max(r.max_price, b.price);
    r.sum_price += b.price;
    r.avg_price = r.sum_price / r.total_bids;
  }
  std::vector<q17_row> rows;
  for (auto& [k, r] : per) rows.push_back(r);
  return rows;
}

/// The last row per key of a stream of updates (a changelog's final table).
template <class T, class Key>
std::vector<T> last_per_key(const std::vector<T>& updates, Key key) {
  std::map<decltype(key(updates.front())), T> m;
  for (const auto& u : updates) m.insert_or_assign(key(u), u);
  std::vector<T> rows;
  for (auto& [k, r] : m) rows.push_back(r);
  return rows;
}

}  // namespace ref
