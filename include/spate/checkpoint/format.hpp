#pragma once
// The bytes of a checkpoint. Every file is framed the same way:
//
//   file    = magic "SPCK" | format version u16 | kind u8 | 0 u8
//           | payload length u64 | payload | crc32c u32
//
// (integers little-endian; the CRC32C covers everything before it). A
// checkpoint is a folder holding one state file per (stage uid, subtask,
// key-group range) and a manifest, written last, that lists every file with
// its size and checksum, the checkpoint id, the job's parallelism and
// maximum parallelism, the stage uids and the source positions. A folder
// without a valid manifest is not a checkpoint.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <spate/core/key_group.hpp>
#include <spate/core/result.hpp>
#include <spate/core/time.hpp>
#include <spate/serde/reader.hpp>
#include <spate/serde/writer.hpp>

#include "crc32c.hpp"

namespace spate::checkpoint {

inline constexpr std::string_view file_magic = "SPCK";
/// Bumped when the layout changes; readers name the version they found.
inline constexpr std::uint16_t format_version = 1;
inline constexpr std::size_t frame_overhead = 4 + 2 + 1 + 1 + 8 + 4;
inline constexpr std::string_view manifest_name = "MANIFEST";

enum class file_kind : std::uint8_t { state = 1, manifest = 2 };
enum class checkpoint_kind : std::uint8_t { checkpoint = 1, savepoint = 2 };

inline const char* kind_name(file_kind k) { return k == file_kind::state ? "state file" : "manifest"; }

inline std::string hex32(std::uint32_t v) {
  constexpr char digits[] = "0123456789abcdef";
  std::string s(8, '0');
  for (int i = 7; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = digits[v & 0xf];
  return s;
}

/// Frames a payload: header, payload, checksum.
inline std::string frame(file_kind kind, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + frame_overhead);
  serde::writer w(out);
  w.write_bytes(file_magic);
  w.write_le<std::uint16_t>(format_version);
  w.write_u8(static_cast<std::uint8_t>(kind));
  w.write_u8(0);
  w.write_le<std::uint64_t>(payload.size());
  w.write_bytes(payload);
  w.write_le<std::uint32_t>(crc32c(out));
  return out;
}

/// The payload of a framed file (a view into `file`), or what is wrong with
/// it: too short, not a checkpoint file, another version or kind, truncated
/// or extended, checksum mismatch.
inline result<std::string_view> unframe(std::string_view file, file_kind want) {
  if (file.size() < frame_overhead)
    return error("truncated: " + std::to_string(file.size()) + " bytes, a checkpoint file has at least " +
                 std::to_string(frame_overhead));
  if (file.substr(0, 4) != file_magic) return error("not a spate checkpoint file (bad magic)", 0);
  serde::reader r(file.substr(4));
  auto version = *r.read_le<std::uint16_t>();
  if (version != format_version)
    return error("unsupported checkpoint format version " + std::to_string(version) + " (this build reads version " +
                     std::to_string(format_version) + ")",
                 4);
  auto kind = *r.read_u8();
  if (kind != static_cast<std::uint8_t>(want))
    return error(std::string("expected a ") + kind_name(want) + ", found file kind " + std::to_string(kind), 6);
  (void)r.read_u8();
  auto len = *r.read_le<std::uint64_t>();
  if (len != file.size() - frame_overhead)
    return error("truncated or extended: the header says " + std::to_string(len) + " payload bytes, the file holds " +
                     std::to_string(file.size() - frame_overhead),
                 8);
  serde::reader tail(file.substr(file.size() - 4));
  auto stored = *tail.read_le<std::uint32_t>();
  auto computed = crc32c(file.substr(0, file.size() - 4));
  if (stored != computed) {
    return error("checksum mismatch (stored " + hex32(stored) + ", computed " + hex32(computed) +
                 "): the file is corrupt");
  }
  return file.substr(16, static_cast<std::size_t>(len));
}

/// The checksum a frame carries (CRC32C of all but its last 4 bytes). Not
/// the CRC of the whole file: that is the same constant for every valid
/// frame, since a message followed by its own CRC has a fixed CRC.
inline std::uint32_t frame_checksum(std::string_view file) noexcept {
  return file.size() < 4 ? 0 : crc32c(file.substr(0, file.size() - 4));
}

/// A source's position in one split: the next record it would read
/// (a Kafka partition's offset, a file's byte offset).
struct source_position {
  std::string source_uid;
  std::string split;
  std::int64_t offset = 0;
  friend bool operator==(const source_position&, const source_position&) = default;
};

/// One file of a checkpoint as the manifest lists it.
struct file_entry {
  std::string name;  ///< relative to the checkpoint's folder
  std::string stage_uid;
  std::size_t subtask = 0;
  key_group_range groups;
  std::uint64_t size = 0;
  std::uint32_t crc = 0;  ///< the file's checksum: CRC32C of its bytes before the trailer
  friend bool operator==(const file_entry&, const file_entry&) = default;
};

struct manifest {
  checkpoint_id id = 0;
  checkpoint_kind kind = checkpoint_kind::checkpoint;
  std::int64_t created_ms = 0;  ///< wall clock, ms since the epoch
  std::size_t parallelism = 1;
  std::size_t max_parallelism = default_max_parallelism;
  std::vector<std::string> stage_uids;
  std::vector<file_entry> files;
  std::vector<source_position> sources;
  friend bool operator==(const manifest&, const manifest&) = default;
};

inline std::string encode_manifest(const manifest& m) {
  std::string p;
  serde::writer w(p);
  w.write_le<std::uint64_t>(m.id);
  w.write_u8(static_cast<std::uint8_t>(m.kind));
  w.write_le<std::uint64_t>(static_cast<std::uint64_t>(m.created_ms));
  w.write_varint(m.parallelism);
  w.write_varint(m.max_parallelism);
  w.write_varint(m.stage_uids.size());
  for (const auto& s : m.stage_uids) w.write(s);
  w.write_varint(m.files.size());
  for (const auto& f : m.files) {
    w.write(f.name, f.stage_uid);
    w.write_varint(f.subtask);
    w.write_varint(f.groups.first);
    w.write_varint(f.groups.last);
    w.write_le<std::uint64_t>(f.size);
    w.write_le<std::uint32_t>(f.crc);
  }
  w.write_varint(m.sources.size());
  for (const auto& s : m.sources) {
    w.write(s.source_uid, s.split);
    w.write_le<std::uint64_t>(static_cast<std::uint64_t>(s.offset));
  }
  return frame(file_kind::manifest, p);
}

/// One path component that names a file inside a checkpoint's folder.
inline bool is_plain_file_name(std::string_view n) {
  return !n.empty() && n != "." && n != ".." && n.find('/') == std::string_view::npos &&
         n.find('\0') == std::string_view::npos && n != manifest_name;
}

namespace detail {
#define SPATE_CHK_TRY(var, expr) \
  auto var = (expr);             \
  if (!var) return std::move(var).error()
inline result<manifest> decode_manifest_payload(std::string_view p) {
  serde::reader r(p);
  manifest m;
  SPATE_CHK_TRY(id, r.read_le<std::uint64_t>());
  m.id = *id;
  SPATE_CHK_TRY(kind, r.read_u8());
  if (*kind != 1 && *kind != 2) return r.fail("unknown checkpoint kind " + std::to_string(*kind));
  m.kind = static_cast<checkpoint_kind>(*kind);
  SPATE_CHK_TRY(created, r.read_le<std::uint64_t>());
  m.created_ms = static_cast<std::int64_t>(*created);
  SPATE_CHK_TRY(par, r.read_varint());
  SPATE_CHK_TRY(maxp, r.read_varint());
  if (*par == 0 || *maxp == 0 || *par > *maxp)
    return r.fail("parallelism " + std::to_string(*par) + " with max parallelism " + std::to_string(*maxp));
  m.parallelism = *par;
  m.max_parallelism = *maxp;
  SPATE_CHK_TRY(nstages, r.read_length());
  for (std::size_t i = 0; i < *nstages; ++i) {
    SPATE_CHK_TRY(s, r.read<std::string>());
    m.stage_uids.push_back(std::move(*s));
  }
  SPATE_CHK_TRY(nfiles, r.read_length());
  for (std::size_t i = 0; i < *nfiles; ++i) {
    file_entry f;
    SPATE_CHK_TRY(name, r.read<std::string>());
    SPATE_CHK_TRY(uid, r.read<std::string>());
    SPATE_CHK_TRY(sub, r.read_varint());
    SPATE_CHK_TRY(first, r.read_varint());
    SPATE_CHK_TRY(last, r.read_varint());
    SPATE_CHK_TRY(size, r.read_le<std::uint64_t>());
    SPATE_CHK_TRY(crc, r.read_le<std::uint32_t>());
    if (!is_plain_file_name(*name)) return r.fail("file name '" + *name + "' is not a plain file name");
    if (*sub >= *par || *first > *last || *last > *maxp)
      return r.fail("file '" + *name + "': subtask " + std::to_string(*sub) + " or key groups [" +
                    std::to_string(*first) + ", " + std::to_string(*last) + ") outside the job (parallelism " +
                    std::to_string(*par) + ", max parallelism " + std::to_string(*maxp) + ")");
    f.name = std::move(*name);
    f.stage_uid = std::move(*uid);
    f.subtask = *sub;
    f.groups = {static_cast<std::size_t>(*first), static_cast<std::size_t>(*last)};
    f.size = *size;
    f.crc = *crc;
    m.files.push_back(std::move(f));
  }
  SPATE_CHK_TRY(nsrc, r.read_length());
  for (std::size_t i = 0; i < *nsrc; ++i) {
    source_position s;
    SPATE_CHK_TRY(uid, r.read<std::string>());
    SPATE_CHK_TRY(split, r.read<std::string>());
    SPATE_CHK_TRY(off, r.read_le<std::uint64_t>());
    s.source_uid = std::move(*uid);
    s.split = std::move(*split);
    s.offset = static_cast<std::int64_t>(*off);
    m.sources.push_back(std::move(s));
  }
  if (!r.at_end()) return r.fail(std::to_string(r.remaining()) + " trailing bytes after the manifest");
  return m;
}
#undef SPATE_CHK_TRY
}  // namespace detail

inline result<manifest> decode_manifest(std::string_view file) {
  auto p = unframe(file, file_kind::manifest);
  if (!p) return std::move(p).error();
  auto m = detail::decode_manifest_payload(*p);
  if (!m) {
    auto e = std::move(m).error();
    if (e.offset != error::npos) e.offset += 16;
    return e;
  }
  return m;
}

/// The manifest as text, for people (logs, a job's explain output).
inline std::string describe(const manifest& m) {
  std::string out = std::string(m.kind == checkpoint_kind::savepoint ? "savepoint" : "checkpoint") + " " +
                    std::to_string(m.id) + " (parallelism " + std::to_string(m.parallelism) + ", " +
                    std::to_string(m.max_parallelism) + " key groups)";
  std::time_t secs = static_cast<std::time_t>(m.created_ms / 1000);
  std::tm tm{};
  if (::gmtime_r(&secs, &tm)) {
    char buf[32];
    if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm)) out += std::string(", written ") + buf;
  }
  out += "\nstages:";
  for (const auto& u : m.stage_uids) out += " " + u;
  out += "\nfiles:\n";
  for (const auto& f : m.files)
    out += "  " + f.name + "  stage " + f.stage_uid + "  subtask " + std::to_string(f.subtask) + "  key groups [" +
           std::to_string(f.groups.first) + ", " + std::to_string(f.groups.last) + ")  " + std::to_string(f.size) +
           " bytes  crc32c " + hex32(f.crc) + "\n";
  out += "sources:\n";
  for (const auto& p : m.sources) out += "  " + p.source_uid + "  " + p.split + "  " + std::to_string(p.offset) + "\n";
  return out;
}

/// A name safe in any file system: letters, digits, '-', '_', '.'; the rest '_'.
inline std::string safe_file_part(std::string_view s) {
  std::string out;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.';
    out.push_back(ok ? c : '_');
  }
  if (out.empty() || out.front() == '.') out.insert(out.begin(), '_');
  if (out.size() > 64) out.resize(64);
  return out;
}

}  // namespace spate::checkpoint
