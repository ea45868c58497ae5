#include <catch2/catch.hpp>

#include <random>
#include <string>

#include <spate/checkpoint/crc32c.hpp>

using spate::checkpoint::crc32c;

TEST_CASE("crc32c: the standard check value and the RFC 3720 vectors") {
  CHECK(crc32c("123456789") == 0xE3069283u);
  CHECK(crc32c("") == 0u);
  CHECK(crc32c(std::string(32, '\0')) == 0x8A9136AAu);
  CHECK(crc32c(std::string(32, '\xff')) == 0x62A8AB43u);
  std::string inc(32, '\0');
  for (int i = 0; i < 32; ++i) inc[i] = static_cast<char>(i);
  CHECK(crc32c(inc) == 0x46DD794Eu);
  std::string dec(32, '\0');
  for (int i = 0; i < 32; ++i) dec[i] = static_cast<char>(31 - i);
  CHECK(crc32c(dec) == 0x113FDB5Cu);
}

TEST_CASE("crc32c: continuing over pieces equals one pass, at every split and length") {
  std::mt19937 rng(11);
  std::string s(300, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  // A bitwise reference: the slicing-by-8 tables must agree with it.
  auto reference = [](std::string_view b) {
    std::uint32_t c = ~0u;
    for (unsigned char x : b) {
      c ^= x;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
    return ~c;
  };
  for (std::size_t n = 0; n <= s.size(); n += 7) {
    std::string_view v(s.data(), n);
    REQUIRE(crc32c(v) == reference(v));
    for (std::size_t cut = 0; cut <= n; cut += 13) REQUIRE(crc32c(v.substr(cut), crc32c(v.substr(0, cut))) == crc32c(v));
  }
}

TEST_CASE("crc32c: every single flipped bit changes the checksum") {
  std::string s = "checkpoint 7 of stage window-counts";
  const auto good = crc32c(s);
  for (std::size_t i = 0; i < s.size(); ++i)
    for (int b = 0; b < 8; ++b) {
      std::string t = s;
      t[i] = static_cast<char>(t[i] ^ (1 << b));
      REQUIRE(crc32c(t) != good);
    }
}
