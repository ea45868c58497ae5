#pragma once
// A bid (Nexmark's), reflected so that state holding bids has an encoding.
#include <spate/spate.hpp>

#include <cstdint>
#include <string>

namespace ops_test {
struct bid {
  std::int64_t auction = 0;
  std::int64_t bidder = 0;
  std::int64_t price = 0;
  std::int64_t ts = 0;  // ms
  friend bool operator==(const bid&, const bid&) = default;
};
}  // namespace ops_test
BOOST_HANA_ADAPT_STRUCT(ops_test::bid, auction, bidder, price, ts);
