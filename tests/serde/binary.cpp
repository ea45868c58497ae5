// binary<T>: round trips for every record kind, the documented byte layout,
// and every way bytes can be wrong.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <tuple>

#include <spate/serde/binary.hpp>

#include "records.hpp"

using namespace spate::serde;
using serde_test::order;

namespace {

template <class T>
std::string encoded(const T& v) {
  std::string out;
  binary<T>{}.serialize(v, out);
  return out;
}

// Decodes v's encoding and checks that the result encodes to the same bytes:
// byte equality is exact for NaN payloads and -0.0, where == is not.
template <class T>
T round_trip(const T& v) {
  const auto bytes = encoded(v);
  auto r = binary<T>{}.deserialize(bytes);
  INFO((r.ok() ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  REQUIRE(encoded(*r) == bytes);
  return *std::move(r);
}

template <class T>
spate::error decode_error(std::string_view bytes) {
  auto r = binary<T>{}.deserialize(bytes);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

}  // namespace

TEMPLATE_TEST_CASE("binary: integer extremes round-trip", "[serde][binary]", std::int8_t, std::int16_t, std::int32_t,
                   std::int64_t, std::uint8_t, std::uint16_t, std::uint32_t, std::uint64_t, char, signed char,
                   unsigned char, char8_t, char16_t, char32_t) {
  using L = std::numeric_limits<TestType>;
  for (TestType v : {L::min(), L::max(), TestType(0), TestType(1), TestType(L::max() - 1), TestType(L::min() + 1)}) {
    CHECK(round_trip(v) == v);
    CHECK(encoded(v).size() == 2 + sizeof(TestType));
  }
}

TEST_CASE("binary: bool", "[serde][binary]") {
  CHECK(round_trip(true) == true);
  CHECK(round_trip(false) == false);
  CHECK(encoded(true) == std::string("\xB5\x01\x01", 3));
  auto e = decode_error<bool>(std::string_view("\xB5\x01\x02", 3));
  CHECK(e.message() == "binary<bool>: at byte 2: invalid bool byte 0x02 (expected 0x00 or 0x01)");
}

TEMPLATE_TEST_CASE("binary: floating point keeps every bit", "[serde][binary]", float, double) {
  using L = std::numeric_limits<TestType>;
  for (TestType v : {TestType(0), TestType(-0.0), L::infinity(), -L::infinity(), L::quiet_NaN(), -L::quiet_NaN(),
                     L::signaling_NaN(), L::denorm_min(), L::min(), L::max(), L::lowest(), L::epsilon(),
                     TestType(3.14159)}) {
    auto back = round_trip(v);
    CHECK(serde_test::same_bits(back, v));
  }
  CHECK(std::signbit(round_trip(TestType(-0.0))));
  CHECK(std::isnan(round_trip(L::quiet_NaN())));
}

TEST_CASE("binary: strings, empty and unicode", "[serde][binary]") {
  for (std::string s : {std::string(), std::string("a"), std::string("Zoë 日本語 🎉"), std::string(300, 'x'),
                        std::string("\0\xff\x80", 3)}) {
    CHECK(round_trip(s) == s);
  }
  // Lengths are LEB128 varints: 300 = 0xAC 0x02.
  CHECK(encoded(std::string(300, 'x')).substr(2, 2) == "\xAC\x02");
}

TEST_CASE("binary: string_view decodes to a view into the input", "[serde][binary]") {
  const auto bytes = encoded(std::string_view("hello"));
  auto r = binary<std::string_view>{}.deserialize(bytes);
  REQUIRE(r.ok());
  CHECK(*r == "hello");
  CHECK(r->data() == bytes.data() + 3);
}

TEST_CASE("binary: tuples, pairs, vectors, optionals, nested", "[serde][binary]") {
  using nested = std::tuple<std::pair<int, std::string>, std::tuple<>, std::tuple<std::tuple<double, bool>>,
                            std::vector<std::optional<std::string>>>;
  nested v{{-5, "five"}, {}, {{2.5, true}}, {std::nullopt, "", "x"}};
  CHECK(round_trip(v) == v);
  CHECK(round_trip(std::vector<int>{}) == std::vector<int>{});
  CHECK(round_trip(std::vector<bool>{true, false, true}) == std::vector<bool>{true, false, true});
  CHECK(round_trip(std::optional<int>{}) == std::nullopt);
  CHECK(round_trip(std::optional<std::optional<int>>{std::optional<int>{}}) == std::optional<std::optional<int>>{std::optional<int>{}});
  CHECK(round_trip(std::vector<std::vector<std::uint8_t>>{{}, {1}, {2, 3}}) == std::vector<std::vector<std::uint8_t>>{{}, {1}, {2, 3}});
}

TEST_CASE("binary: reflected structs, nested, defined and adapted", "[serde][binary]") {
  const order o = serde_test::sample_order();
  order back = round_trip(o);
  CHECK(back.id == "o-1");
  CHECK(back.direction == serde_test::side::sell);
  CHECK(back.buyer.name == "Zoë");
  CHECK_FALSE(back.buyer.email.has_value());
  REQUIRE(back.items.size() == 2);
  CHECK(back.items[0].sku == "apple");
  CHECK(std::signbit(back.items[1].price));
  CHECK(std::get<2>(back.extra) == std::vector<std::uint8_t>{0, 255});
  CHECK(round_trip(legacy::point{-1, 7}) == legacy::point{-1, 7});
}

TEST_CASE("binary: the documented byte layout is stable", "[serde][binary]") {
  // Pinned bytes: if this test fails, the wire format changed and
  // binary_version must change with it (docs/serializers.md).
  using rec = std::tuple<std::int32_t, std::string, bool, double, std::optional<std::uint16_t>, std::vector<std::int8_t>>;
  const rec v{1, "hi", true, 1.0, 0x1234, {-1, 2}};
  const std::string expected("\xB5\x01"                          // magic, version
                             "\x01\x00\x00\x00"                  // int32 1, little-endian
                             "\x02hi"                            // varint length 2, bytes
                             "\x01"                              // true
                             "\x00\x00\x00\x00\x00\x00\xF0\x3F"  // 1.0 as IEEE-754 LE
                             "\x01\x34\x12"                      // optional present, uint16 0x1234
                             "\x02\xFF\x02",                     // vector count 2, -1, 2
                             24);
  CHECK(encoded(v) == expected);
  CHECK(encoded(legacy::point{1, -2}) == std::string("\xB5\x01\x01\x00\x00\x00\xFE\xFF\xFF\xFF", 10));
  CHECK(encoded(serde_test::side::buy) == std::string("\xB5\x01\x01", 3));
}

TEST_CASE("binary: serialize appends", "[serde][binary]") {
  std::string out = "prefix";
  binary<int>{}.serialize(7, out);
  CHECK(out == std::string("prefix\xB5\x01\x07\x00\x00\x00", 12));
}

TEST_CASE("binary: truncation at every prefix length is an error with a byte offset", "[serde][binary]") {
  const auto bytes = encoded(serde_test::sample_order());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    INFO("prefix length " << n);
    auto e = decode_error<order>(std::string_view(bytes).substr(0, n));
    const auto msg = e.message();
    INFO(msg);
    CHECK(msg.starts_with("binary<serde_test::order>: at byte "));
    CHECK(e.offset <= n);
    CHECK((msg.find("truncated input") != std::string::npos || msg.find("exceeds") != std::string::npos ||
           msg.find("needs at least") != std::string::npos || msg.find("empty input") != std::string::npos));
    if (n >= 2) CHECK_FALSE(e.field.empty());
  }
}

TEST_CASE("binary: messages say what and where", "[serde][binary]") {
  // The item's price starts at byte 12: header 2, sku 1 + 5, quantity 4.
  const auto item_bytes = encoded(serde_test::item{"apple", 3, 0.5});
  CHECK(decode_error<serde_test::item>(std::string_view(item_bytes).substr(0, 15)).message() ==
        "binary<serde_test::item>: at byte 12 (field 'price'): truncated input, needed 8 bytes, 3 left");

  // Nested: cut inside the second item's price.
  const auto bytes = encoded(serde_test::sample_order());
  const auto price_at = bytes.find("apple") + 5 + 4 + 8 + 1 + 4;
  auto e = decode_error<order>(std::string_view(bytes).substr(0, price_at + 3));
  CHECK(e.offset == price_at);
  CHECK(e.field == "items[1].price");
  CHECK(e.message() == "binary<serde_test::order>: at byte " + std::to_string(price_at) +
                           " (field 'items[1].price'): truncated input, needed 8 bytes, 3 left");
  // A count that cannot fit is caught before any element is read.
  e = decode_error<order>(std::string_view(bytes).substr(0, price_at - 1));
  CHECK(e.message() == "binary<serde_test::order>: at byte " + std::to_string(bytes.find("apple") - 2) +
                           " (field 'items'): count 2 needs at least 13 bytes per element, only 22 bytes left");

  CHECK(decode_error<int>("").message() ==
        "binary<int>: at byte 0: empty input, expected a binary record header (0xb5, version)");
  CHECK(decode_error<int>("{\"a\":1}").message() ==
        "binary<int>: at byte 0: bad magic byte 0x7b (expected 0xb5): not a spate binary record");
  CHECK(decode_error<int>(std::string_view("\xB5", 1)).message() ==
        "binary<int>: at byte 1: truncated input, needed 1 byte, 0 left");
  CHECK(decode_error<int>(std::string_view("\xB5\x02\x01\x00\x00\x00", 6)).message() ==
        "binary<int>: at byte 1: unsupported format version 2 (this build reads version 1)");
  CHECK(decode_error<int>(encoded(5) + "xy").message() == "binary<int>: at byte 6: 2 trailing bytes after the record");
}

TEST_CASE("binary: forged lengths and counts", "[serde][binary]") {
  // Length 5 but only 2 bytes follow.
  CHECK(decode_error<std::string>(std::string_view("\xB5\x01\x05hi", 5)).message() ==
        "binary<std::string>: at byte 2: length prefix 5 exceeds the 2 bytes left");
  // A count of 2^62 items must be refused before anything is allocated.
  auto huge = std::string("\xB5\x01\x80\x80\x80\x80\x80\x80\x80\x80\x40", 11);
  CHECK(decode_error<std::vector<std::int64_t>>(huge).message() ==
        "binary<std::vector<long>>: at byte 2: count 4611686018427387904 needs at least 8 bytes per element, only 0 "
        "bytes left");
  CHECK(decode_error<std::string>(std::string_view("\xB5\x01\x80\x00", 4)).what ==
        "non-canonical varint (redundant trailing zero byte)");
  CHECK(decode_error<std::string>(std::string("\xB5\x01", 2) + std::string(9, '\xFF') + "\x02").what ==
        "varint overflows 64 bits");
  CHECK(decode_error<std::string>(std::string_view("\xB5\x01\x80\x80", 4)).what ==
        "truncated input: varint not terminated after 2 bytes");
}

TEST_CASE("binary: invalid tags name the field", "[serde][binary]") {
  auto bytes = encoded(serde_test::customer{1, "n", std::nullopt});
  bytes.back() = '\x07';
  auto e = decode_error<serde_test::customer>(bytes);
  CHECK(e.message() == "binary<serde_test::customer>: at byte " + std::to_string(bytes.size() - 1) +
                           " (field 'email'): invalid optional tag 0x07 (expected 0x00 = empty or 0x01 = present)");
  auto pair_bytes = encoded(std::pair<int, bool>{1, true});
  pair_bytes.back() = '\x05';
  CHECK(decode_error<std::pair<int, bool>>(pair_bytes).field == "second");
  auto tuple_bytes = encoded(std::tuple<int, std::vector<bool>>{1, {true, true}});
  tuple_bytes.back() = '\x05';
  CHECK(decode_error<std::tuple<int, std::vector<bool>>>(tuple_bytes).field == "get<1>[1]");
}

TEST_CASE("binary: garbage never crashes and never invents a record", "[serde][binary]") {
  std::mt19937 rng(12345);
  const auto valid = encoded(serde_test::sample_order());
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = valid;
    // Flip a few bytes of a valid record, so decoding gets deep before failing.
    for (int k = 0, flips = 1 + static_cast<int>(rng() % 4); k < flips; ++k) {
      bytes[2 + rng() % (bytes.size() - 2)] = static_cast<char>(rng());
    }
    auto r = binary<order>{}.deserialize(bytes);
    if (r) {
      ++decoded;
      // Canonical format: anything accepted re-encodes to exactly the input.
      CHECK(encoded(*r) == bytes);
    } else {
      CHECK(r.error().offset <= bytes.size());
    }
  }
  CHECK(decoded < 20000);
}
