#pragma once
// Output rows of the queries, and an order-independent checksum of them.
#include <spate/core/reflect.hpp>

#include <boost/hana/define_struct.hpp>

#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "model.hpp"

namespace nexmark {

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

/// 64-bit FNV-1a over a row's fields, for checksums.
struct hasher {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  void bytes(const void* p, std::size_t n) {
    const auto* c = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) h = (h ^ c[i]) * 0x100000001b3ULL;
  }
  template <class T>
  void add(const T& v) {
    if constexpr (std::is_same_v<T, std::string>) {
      bytes(v.data(), v.size());
      bytes("\0", 1);
    } else if constexpr (is_vector<T>::value) {
      for (const auto& x : v) add(x);
      bytes("\1", 1);
    } else if constexpr (std::is_arithmetic_v<T>) {
      bytes(&v, sizeof v);
    } else {
      spate::for_each_field(v, [this](std::string_view, const auto& f) { add(f); });
    }
  }
};

/// The row's hash; a checksum is the sum of its rows' hashes (mod 2^64), so it
/// does not depend on the order the rows arrive in.
template <class T>
std::uint64_t row_hash(const T& row) {
  hasher h;
  h.add(row);
  return h.h;
}

/// The row as text, "field=value,..." (tests compare sorted texts).
template <class T>
std::string row_text(const T& row) {
  std::ostringstream o;
  if constexpr (std::is_same_v<T, std::string>) {
    o << row;
  } else if constexpr (std::is_arithmetic_v<T>) {
    o << row;
  } else if constexpr (is_vector<T>::value) {
    o << '[';
    for (const auto& x : row) o << row_text(x) << '|';
    o << ']';
  } else {
    spate::for_each_field(row, [&](std::string_view name, const auto& f) { o << name << '=' << row_text(f) << ';'; });
  }
  return o.str();
}

// ---- rows -------------------------------------------------------------------
struct q1_row {  // price in thousandths of a euro: DECIMAL(23, 3) exactly
  BOOST_HANA_DEFINE_STRUCT(q1_row, (std::int64_t, auction), (std::int64_t, bidder), (std::int64_t, price_milli),
                           (std::int64_t, date_time), (std::string, extra));
};
struct q2_row {
  BOOST_HANA_DEFINE_STRUCT(q2_row, (std::int64_t, auction), (std::int64_t, price));
};
struct q3_row {
  BOOST_HANA_DEFINE_STRUCT(q3_row, (std::string, name), (std::string, city), (std::string, state),
                           (std::int64_t, id));
};
struct q5_row {
  BOOST_HANA_DEFINE_STRUCT(q5_row, (std::int64_t, auction), (std::int64_t, num), (std::int64_t, starttime));
};
struct q7_row {
  BOOST_HANA_DEFINE_STRUCT(q7_row, (std::int64_t, auction), (std::int64_t, price), (std::int64_t, bidder),
                           (std::int64_t, date_time), (std::string, extra));
};
struct q8_row {
  BOOST_HANA_DEFINE_STRUCT(q8_row, (std::int64_t, id), (std::string, name), (std::int64_t, stime));
};
struct q11_row {
  BOOST_HANA_DEFINE_STRUCT(q11_row, (std::int64_t, bidder), (std::int64_t, bid_count), (std::int64_t, starttime),
                           (std::int64_t, endtime));
};
struct q13_row {
  BOOST_HANA_DEFINE_STRUCT(q13_row, (std::int64_t, auction), (std::int64_t, bidder), (std::int64_t, price),
                           (std::int64_t, date_time), (std::string, value));
};
struct q14_row {
  BOOST_HANA_DEFINE_STRUCT(q14_row, (std::int64_t, auction), (std::int64_t, bidder), (std::int64_t, price_milli),
                           (std::string, bid_time_type), (std::int64_t, date_time), (std::string, extra),
                           (std::int64_t, c_counts));
};
struct q17_row {
  BOOST_HANA_DEFINE_STRUCT(q17_row, (std::int64_t, auction), (std::string, day), (std::int64_t, total_bids),
                           (std::int64_t, rank1_bids), (std::int64_t, rank2_bids), (std::int64_t, rank3_bids),
                           (std::int64_t, min_price), (std::int64_t, max_price), (std::int64_t, avg_price),
                           (std::int64_t, sum_price));
};
struct q21_row {
  BOOST_HANA_DEFINE_STRUCT(q21_row, (std::int64_t, auction), (std::int64_t, bidder), (std::int64_t, price),
                           (std::string, channel), (std::string, channel_id));
};
struct q22_row {
  BOOST_HANA_DEFINE_STRUCT(q22_row, (std::int64_t, auction), (std::int64_t, bidder), (std::int64_t, price),
                           (std::string, channel), (std::string, dir1), (std::string, dir2), (std::string, dir3));
};

}  // namespace nexmark

namespace nexmark {
struct q9_row {  // the auction and its winning bid
  BOOST_HANA_DEFINE_STRUCT(q9_row, (auction, a), (bid, b));
};
struct q4_row {
  BOOST_HANA_DEFINE_STRUCT(q4_row, (std::int64_t, category), (std::int64_t, avg_final));
};
struct q6_row {
  BOOST_HANA_DEFINE_STRUCT(q6_row, (std::int64_t, seller), (std::int64_t, avg_price));
};
struct q20_row {  // the bid and its auction
  BOOST_HANA_DEFINE_STRUCT(q20_row, (bid, b), (auction, a));
};
}  // namespace nexmark

namespace nexmark {
struct q15_row {
  BOOST_HANA_DEFINE_STRUCT(q15_row, (std::string, day), (std::int64_t, total_bids), (std::int64_t, rank1_bids),
                           (std::int64_t, rank2_bids), (std::int64_t, rank3_bids), (std::int64_t, total_bidders),
                           (std::int64_t, rank1_bidders), (std::int64_t, rank2_bidders),
                           (std::int64_t, rank3_bidders), (std::int64_t, total_auctions),
                           (std::int64_t, rank1_auctions), (std::int64_t, rank2_auctions),
                           (std::int64_t, rank3_auctions));
};
struct q16_row {
  BOOST_HANA_DEFINE_STRUCT(q16_row, (std::string, channel), (std::string, day), (std::string, minute),
                           (std::int64_t, total_bids), (std::int64_t, rank1_bids), (std::int64_t, rank2_bids),
                           (std::int64_t, rank3_bids), (std::int64_t, total_bidders), (std::int64_t, rank1_bidders),
                           (std::int64_t, rank2_bidders), (std::int64_t, rank3_bidders),
                           (std::int64_t, total_auctions), (std::int64_t, rank1_auctions),
                           (std::int64_t, rank2_auctions), (std::int64_t, rank3_auctions));
};
struct q19_ranking {  // an auction's ten highest bids, best first (rank = index + 1)
  BOOST_HANA_DEFINE_STRUCT(q19_ranking, (std::int64_t, auction), (std::vector<bid>, top));
};
}  // namespace nexmark
