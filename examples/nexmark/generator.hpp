#pragma once
// The Nexmark event generator, after the model of the Flink Nexmark project's
// generator (itself Beam's): the same proportions, ids, hot ratios, sizes and
// event-time schedule. Event number i is a pure function of (config, i): each
// event draws from its own random stream seeded by (seed, event id), so the
// sequence is deterministic for a seed and any shard can produce any part of
// it without the others (spate::generate gives shard s of P the numbers
// i % P == s).
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "model.hpp"

namespace nexmark {

struct config {
  std::uint64_t seed = 42;
  int person_proportion = 1;
  int auction_proportion = 3;
  int bid_proportion = 46;
  int avg_person_byte_size = 200;
  int avg_auction_byte_size = 500;
  int avg_bid_byte_size = 100;
  int hot_auction_ratio = 2;
  int hot_sellers_ratio = 4;
  int hot_bidders_ratio = 4;
  int num_in_flight_auctions = 100;
  int num_active_people = 1000;
  /// Events per second of event time (the project's first-event.rate).
  double event_rate = 10'000;
  /// Time of event 0, ms since the epoch (Flink: the wall clock at start;
  /// here fixed so that runs repeat): 2020-09-13 12:26:40 UTC.
  std::int64_t base_time = 1'600'000'000'000;
  /// Events are shuffled within groups of this many (1: in order).
  std::int64_t out_of_order_group_size = 1;
  /// With this probability an event's date_time is set back by up to
  /// occasional_delay_sec (Beam's delayed events; Flink's generator has none).
  double prob_delayed_event = 0.0;
  std::int64_t occasional_delay_sec = 3;

  int total_proportion() const { return person_proportion + auction_proportion + bid_proportion; }
};

inline constexpr std::int64_t first_person_id = 1000;
inline constexpr std::int64_t first_auction_id = 1000;
inline constexpr std::int64_t first_category_id = 10;

namespace detail {

inline std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// A small fast random stream (splitmix64).
struct rng {
  std::uint64_t s;
  explicit rng(std::uint64_t seed) : s(seed) { splitmix(s); }
  std::uint64_t next() { return splitmix(s); }
  /// Uniform in [0, n), n > 0.
  std::int64_t next_int(std::int64_t n) {
    return static_cast<std::int64_t>((static_cast<unsigned __int128>(next()) * static_cast<std::uint64_t>(n)) >> 64);
  }
  double next_double() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

inline std::string next_string(rng& r, int max_length, char special = ' ') {
  int len = 3 + static_cast<int>(r.next_int(max_length - 3));
  std::string s;
  s.reserve(static_cast<std::size_t>(len));
  while (len-- > 0) s.push_back(r.next_int(13) == 0 ? special : static_cast<char>('a' + r.next_int(26)));
  // Java's String.trim(): drop leading and trailing spaces
  const auto b = s.find_first_not_of(' ');
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(' ');
  return s.substr(b, e - b + 1);
}

inline std::string base_url(rng& r) {
  std::string u = "https://www.nexmark.com/";
  u += next_string(r, 5, '_');
  u += '/';
  u += next_string(r, 5, '_');
  u += '/';
  u += next_string(r, 5, '_');
  u += "/item.htm?query=1";
  return u;
}

inline std::uint32_t reverse_bits(std::uint32_t v) {
  std::uint32_t r = 0;
  for (int i = 0; i < 32; ++i) {
    r = (r << 1) | (v & 1U);
    v >>= 1;
  }
  return r;
}

}  // namespace detail

/// The shared tables of one seed: the 1 MiB string extras are cut from, the
/// hot URLs and the 10 000 channels with their URLs.
struct tables {
  std::string reusable_extra;
  std::array<std::string, 4> hot_urls;
  std::vector<std::string> channel_names;
  std::vector<std::string> channel_urls;

  explicit tables(std::uint64_t seed) {
    detail::rng r(seed ^ 0x6e65786d61726bULL);
    reusable_extra.resize(1 << 20);
    for (auto& c : reusable_extra) c = static_cast<char>('a' + r.next_int(26));
    for (auto& u : hot_urls) u = detail::base_url(r);
    channel_names.reserve(10'000);
    channel_urls.reserve(10'000);
    for (int i = 0; i < 10'000; ++i) {
      std::string url = detail::base_url(r);
      if (r.next_int(10) > 0) {
        const auto rev = static_cast<std::int32_t>(detail::reverse_bits(static_cast<std::uint32_t>(i)));
        const std::int64_t abs_rev = rev < 0 ? -static_cast<std::int64_t>(rev) : rev;
        url += "&channel_id=" + std::to_string(abs_rev);
      }
      channel_names.push_back("channel-" + std::to_string(i));
      channel_urls.push_back(std::move(url));
    }
  }
};

inline constexpr std::array<const char*, 4> hot_channels{"Google", "Facebook", "Baidu", "Apple"};

/// The generator: copyable (the tables are shared), every call const.
class generator {
 public:
  explicit generator(config c = {}) : cfg_(c), tables_(std::make_shared<const tables>(c.seed)) {
    if (c.person_proportion < 1 || c.auction_proportion < 1 || c.bid_proportion < 1)
      throw std::invalid_argument("nexmark: every proportion must be at least 1");
    if (c.event_rate <= 0) throw std::invalid_argument("nexmark: event_rate must be positive");
    if (c.out_of_order_group_size < 1) throw std::invalid_argument("nexmark: out_of_order_group_size must be >= 1");
    inter_event_delay_us_ = 1'000'000.0 / c.event_rate;
  }

  const config& cfg() const { return cfg_; }

  /// The id (position in the proportions' cycle) of event number n: n itself,
  /// or, with out-of-order groups, n permuted within its group.
  std::int64_t event_id(std::int64_t n) const {
    const std::int64_t g = cfg_.out_of_order_group_size;
    return (n / g) * g + (n * 953) % g;
  }
  /// Event time of event id n, before any delay.
  std::int64_t timestamp_for(std::int64_t n) const {
    return cfg_.base_time + static_cast<std::int64_t>(static_cast<double>(n) * inter_event_delay_us_) / 1000;
  }

  /// The date_time of event number n, whatever its kind, without building
  /// the event (what a view of one kind needs for its watermark).
  std::int64_t date_time_at(std::uint64_t n) const { return event_time(event_id(static_cast<std::int64_t>(n))); }

  kind kind_of(std::uint64_t n) const { return kind_of_id(event_id(static_cast<std::int64_t>(n))); }
  kind kind_of_id(std::int64_t id) const {
    const std::int64_t rem = id % cfg_.total_proportion();
    if (rem < cfg_.person_proportion) return kind::person;
    if (rem < cfg_.person_proportion + cfg_.auction_proportion) return kind::auction;
    return kind::bid;
  }

  /// Event number n (0-based) of the sequence.
  event operator()(std::uint64_t n) const {
    const std::int64_t id = event_id(static_cast<std::int64_t>(n));
    switch (kind_of_id(id)) {
      case kind::person: return person_at_id(id);
      case kind::auction: return auction_at_id(id);
      default: return bid_at_id(id);
    }
  }
  /// Event number n if it is a person / auction / bid.
  std::optional<person> person_at(std::uint64_t n) const {
    const std::int64_t id = event_id(static_cast<std::int64_t>(n));
    if (kind_of_id(id) != kind::person) return std::nullopt;
    return person_at_id(id);
  }
  std::optional<auction> auction_at(std::uint64_t n) const {
    const std::int64_t id = event_id(static_cast<std::int64_t>(n));
    if (kind_of_id(id) != kind::auction) return std::nullopt;
    return auction_at_id(id);
  }
  std::optional<bid> bid_at(std::uint64_t n) const {
    const std::int64_t id = event_id(static_cast<std::int64_t>(n));
    if (kind_of_id(id) != kind::bid) return std::nullopt;
    return bid_at_id(id);
  }

  // --- ids, as the Flink/Beam generator derives them -------------------------
  std::int64_t last_base0_person_id(std::int64_t id) const {
    const std::int64_t tp = cfg_.total_proportion();
    const std::int64_t epoch = id / tp;
    std::int64_t offset = id % tp;
    if (offset >= cfg_.person_proportion) offset = cfg_.person_proportion - 1;
    return epoch * cfg_.person_proportion + offset;
  }
  std::int64_t last_base0_auction_id(std::int64_t id) const {
    const std::int64_t tp = cfg_.total_proportion();
    std::int64_t epoch = id / tp;
    std::int64_t offset = id % tp;
    if (offset < cfg_.person_proportion) {
      --epoch;
      offset = cfg_.auction_proportion - 1;
    } else if (offset >= cfg_.person_proportion + cfg_.auction_proportion) {
      offset = cfg_.auction_proportion - 1;
    } else {
      offset -= cfg_.person_proportion;
    }
    return epoch * cfg_.auction_proportion + offset;
  }

 private:
  detail::rng rng_for(std::int64_t id) const {
    std::uint64_t s = cfg_.seed * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(id);
    return detail::rng(detail::splitmix(s));
  }
  std::int64_t event_time(std::int64_t id) const {
    std::int64_t t = timestamp_for(id);
    if (cfg_.prob_delayed_event > 0) {
      detail::rng d(rng_for(id).next() ^ 0xde1a7ULL);
      if (d.next_double() < cfg_.prob_delayed_event) t -= 1 + d.next_int(cfg_.occasional_delay_sec * 1000);
    }
    return t;
  }
  std::int64_t next_base0_person_id(std::int64_t id, detail::rng& r) const {
    const std::int64_t num_people = last_base0_person_id(id) + 1;
    const std::int64_t active = std::min<std::int64_t>(num_people, cfg_.num_active_people);
    return num_people - active + r.next_int(active + 10);
  }
  std::int64_t next_base0_auction_id(std::int64_t id, detail::rng& r) const {
    const std::int64_t max_a = last_base0_auction_id(id);
    const std::int64_t min_a = std::max<std::int64_t>(max_a - cfg_.num_in_flight_auctions, 0);
    return min_a + r.next_int(max_a - min_a + 1 + 10);
  }
  static std::int64_t next_price(detail::rng& r) {
    return std::llround(std::pow(10.0, r.next_double() * 6.0) * 100.0);
  }
  std::string next_extra(detail::rng& r, int current_size, int desired_average) const {
    if (current_size > desired_average) return {};
    desired_average -= current_size;
    const int delta = static_cast<int>(std::lround(desired_average * 0.2));
    const int min_size = desired_average - delta;
    const int size = min_size + (delta == 0 ? 0 : static_cast<int>(r.next_int(2 * delta)));
    const auto& pool = tables_->reusable_extra;
    const auto offset = static_cast<std::size_t>(r.next_int(static_cast<std::int64_t>(pool.size()) - size));
    return pool.substr(offset, static_cast<std::size_t>(size));
  }

  person person_at_id(std::int64_t id) const {
    static constexpr std::array<const char*, 6> states{"AZ", "CA", "ID", "OR", "WA", "WY"};
    static constexpr std::array<const char*, 10> cities{"Phoenix", "Los Angeles", "San Francisco", "Boise",
                                                        "Portland", "Bend", "Redmond", "Seattle", "Kent",
                                                        "Cheyenne"};
    static constexpr std::array<const char*, 11> first{"Peter", "Paul",  "Luke",  "John",   "Saul",  "Vicky",
                                                       "Kate",  "Julie", "Sarah", "Deiter", "Walter"};
    static constexpr std::array<const char*, 9> last{"Shultz", "Abrams", "Spencer", "White", "Bartels",
                                                     "Walton", "Smith",  "Jones",   "Noris"};
    detail::rng r = rng_for(id);
    person p;
    p.id = last_base0_person_id(id) + first_person_id;
    p.name = std::string(first[static_cast<std::size_t>(r.next_int(first.size()))]) + " " +
             last[static_cast<std::size_t>(r.next_int(last.size()))];
    p.email_address = detail::next_string(r, 7) + "@" + detail::next_string(r, 5) + ".com";
    char cc[24];
    std::snprintf(cc, sizeof cc, "%04d %04d %04d %04d", static_cast<int>(r.next_int(10000)),
                  static_cast<int>(r.next_int(10000)), static_cast<int>(r.next_int(10000)),
                  static_cast<int>(r.next_int(10000)));
    p.credit_card = cc;
    p.city = cities[static_cast<std::size_t>(r.next_int(cities.size()))];
    p.state = states[static_cast<std::size_t>(r.next_int(states.size()))];
    p.date_time = event_time(id);
    const int size = 8 + static_cast<int>(p.name.size() + p.email_address.size() + p.credit_card.size() +
                                          p.city.size() + p.state.size());
    p.extra = next_extra(r, size, cfg_.avg_person_byte_size);
    return p;
  }

  auction auction_at_id(std::int64_t id) const {
    detail::rng r = rng_for(id);
    auction a;
    a.id = last_base0_auction_id(id) + first_auction_id;
    std::int64_t seller;
    if (r.next_int(cfg_.hot_sellers_ratio) > 0) {
      seller = (last_base0_person_id(id) / 100) * 100;  // the first of the last 100 people
    } else {
      seller = next_base0_person_id(id, r);
    }
    a.seller = seller + first_person_id;
    a.category = first_category_id + r.next_int(5);
    a.initial_bid = next_price(r);
    a.date_time = event_time(id);
    // an average length that puts num_in_flight_auctions auctions in flight
    const std::int64_t events_for_auctions =
        (static_cast<std::int64_t>(cfg_.num_in_flight_auctions) * cfg_.total_proportion()) / cfg_.auction_proportion;
    const std::int64_t horizon = timestamp_for(id + events_for_auctions) - timestamp_for(id);
    a.expires = a.date_time + 1 + r.next_int(std::max<std::int64_t>(horizon * 2, 1));
    a.item_name = detail::next_string(r, 20);
    a.description = detail::next_string(r, 100);
    a.reserve = a.initial_bid + next_price(r);
    const int size = 8 + static_cast<int>(a.item_name.size() + a.description.size()) + 40;
    a.extra = next_extra(r, size, cfg_.avg_auction_byte_size);
    return a;
  }

  bid bid_at_id(std::int64_t id) const {
    detail::rng r = rng_for(id);
    bid b;
    std::int64_t auction;
    if (r.next_int(cfg_.hot_auction_ratio) > 0) {
      auction = (last_base0_auction_id(id) / 100) * 100;  // the first of the last 100 auctions
    } else {
      auction = next_base0_auction_id(id, r);
    }
    b.auction = auction + first_auction_id;
    std::int64_t bidder;
    if (r.next_int(cfg_.hot_bidders_ratio) > 0) {
      bidder = (last_base0_person_id(id) / 100) * 100 + 1;  // the second of the last 100 people
    } else {
      bidder = next_base0_person_id(id, r);
    }
    b.bidder = bidder + first_person_id;
    b.price = next_price(r);
    if (r.next_int(2) > 0) {
      const auto i = static_cast<std::size_t>(r.next_int(4));
      b.channel = hot_channels[i];
      b.url = tables_->hot_urls[i];
    } else {
      const auto i = static_cast<std::size_t>(r.next_int(10'000));
      b.channel = tables_->channel_names[i];
      b.url = tables_->channel_urls[i];
    }
    b.date_time = event_time(id);
    b.extra = next_extra(r, 32, cfg_.avg_bid_byte_size);
    return b;
  }

  config cfg_;
  std::shared_ptr<const tables> tables_;
  double inter_event_delay_us_ = 100.0;
};

/// The byte size the generator accounts an event at (the Flink generator's
/// currentSize plus extra): what the average sizes are about.
inline std::size_t accounted_size(const person& p) {
  return 8 + p.name.size() + p.email_address.size() + p.credit_card.size() + p.city.size() + p.state.size() +
         p.extra.size();
}
inline std::size_t accounted_size(const auction& a) {
  return 8 + a.item_name.size() + a.description.size() + 40 + a.extra.size();
}
inline std::size_t accounted_size(const bid& b) { return 32 + b.extra.size(); }

}  // namespace nexmark
