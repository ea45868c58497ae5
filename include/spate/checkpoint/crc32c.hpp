#pragma once
// CRC32C (Castagnoli, the checksum of iSCSI, ext4, RocksDB and Kafka's record
// batches), in software, slicing by 8 bytes: every checkpoint file carries
// one over all its bytes, so a flipped or missing byte is found before the
// state is used. crc32c("123456789") == 0xE3069283.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace spate::checkpoint {

namespace detail {
inline constexpr std::uint32_t crc32c_poly = 0x82F63B78u;  // reflected 0x1EDC6F41

constexpr std::array<std::array<std::uint32_t, 256>, 8> make_crc32c_tables() {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ crc32c_poly : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t s = 1; s < 8; ++s)
    for (std::size_t i = 0; i < 256; ++i) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  return t;
}
inline constexpr auto crc32c_tables = make_crc32c_tables();
}  // namespace detail

/// Continues a CRC32C over more bytes: crc32c(b, crc32c(a)) == crc32c(a + b).
inline std::uint32_t crc32c(std::string_view bytes, std::uint32_t crc = 0) noexcept {
  const auto& t = detail::crc32c_tables;
  std::uint32_t c = ~crc;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t n = bytes.size();
  while (n >= 8) {
    const std::uint32_t lo = c ^ (std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
                                  std::uint32_t(p[3]) << 24);
    c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^ t[3][p[4]] ^
        t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n--) c = (c >> 8) ^ t[0][(c ^ *p++) & 0xff];
  return ~c;
}

}  // namespace spate::checkpoint
