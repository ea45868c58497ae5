#pragma once
// A bid (Nexmark's), reflected so that state holding bids has an encoding.
#include <spate/spate.hpp>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace ops_test {
struct bid {
  std::int64_t auction = 0;
  std::int64_t bidder = 0;
  std::int64_t price = 0;
  std::int64_t ts = 0;  // ms
  friend bool operator==(const bid&, const bid&) = default;
  friend std::ostream& operator<<(std::ostream& os, const bid& b) {
    return os << "bid{" << b.auction << ", " << b.bidder << ", " << b.price << ", " << b.ts << "}";
  }
};
// For messages about windows of rankings (window_result prints its value).
inline std::ostream& operator<<(std::ostream& os, const std::vector<bid>& v) {
  os << '[';
  for (const bid& b : v) os << b << ' ';
  return os << ']';
}
}  // namespace ops_test
BOOST_HANA_ADAPT_STRUCT(ops_test::bid, auction, bidder, price, ts);
