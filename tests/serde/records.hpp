#pragma once
// Record types shared by the serde tests and the fuzz targets.

#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <spate/serde.hpp>

namespace serde_test {

enum class side : std::uint8_t { buy = 1, sell = 2 };

struct item {
  BOOST_HANA_DEFINE_STRUCT(item, (std::string, sku), (std::int32_t, quantity), (double, price));
};

struct customer {
  BOOST_HANA_DEFINE_STRUCT(customer, (std::uint64_t, id), (std::string, name), (std::optional<std::string>, email));
};

struct order {
  BOOST_HANA_DEFINE_STRUCT(order,
                           (std::string, id),
                           (std::int64_t, timestamp),
                           (side, direction),
                           (customer, buyer),
                           (std::vector<item>, items),
                           (std::optional<double>, discount),
                           (std::pair<std::int16_t, bool>, flags),
                           (std::tuple<char, float, std::vector<std::uint8_t>>, extra));
};

// Structural equality that treats NaN as equal to NaN with the same bits:
// round trips must preserve the exact value, NaN included.
inline bool same_bits(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }
inline bool same_bits(float a, float b) { return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b); }

inline order sample_order() {
  return order{"o-1", 1700000000123, side::sell, customer{42, "Zoë", std::nullopt},
               {item{"apple", 3, 0.5}, item{"", -1, -0.0}}, 0.25, {-7, true},
               {'x', 1.5f, {0, 255}}};
}

}  // namespace serde_test

// Adapted (rather than defined) to exercise BOOST_HANA_ADAPT_STRUCT.
namespace legacy {
struct point {
  int x = 0;
  int y = 0;
  bool operator==(const point&) const = default;
};
}  // namespace legacy
BOOST_HANA_ADAPT_STRUCT(legacy::point, x, y);
