#pragma once
// Checkpoints and savepoints on a storage (storage.hpp), in the format of
// format.hpp:
//  - checkpoint n is the folder `chk-<n>`: its state files, then MANIFEST;
//  - a savepoint is the same in a folder the user names; nothing here ever
//    removes one;
//  - retention (`prune`) keeps the newest N completed checkpoints and
//    removes older folders, never one newer than the completed checkpoint;
//  - restore takes the newest checkpoint whose manifest and files all
//    validate; each newer one that does not is reported in a warning, and
//    with a committed id (exactly-once with Kafka: the checkpoint whose
//    transaction committed) newer ones are skipped and an invalid committed
//    one is an error, since an older one would write its output again.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <spate/core/key_group.hpp>
#include <spate/core/time.hpp>

#include "format.hpp"
#include "storage.hpp"

namespace spate::checkpoint {

/// One stage's state from one subtask: the unit a checkpoint stores as a file.
struct state_file {
  std::string stage_uid;
  std::size_t subtask = 0;
  key_group_range groups;  ///< the key groups the state covers ({0, 0} for state without keys)
  std::string bytes;
  friend bool operator==(const state_file&, const state_file&) = default;
};

/// Everything a checkpoint holds, before it is written.
struct checkpoint_content {
  checkpoint_id id = 0;
  checkpoint_kind kind = checkpoint_kind::checkpoint;
  std::size_t parallelism = 1;
  std::size_t max_parallelism = default_max_parallelism;
  std::vector<std::string> stage_uids;  ///< empty: the uids of the files
  std::vector<state_file> files;
  std::vector<source_position> sources;
};

/// A checkpoint read back and validated: the manifest and each file's payload.
struct loaded_checkpoint {
  std::string folder;
  manifest meta;
  std::vector<std::string> payloads;  ///< one per meta.files, same order

  /// The payloads of `stage_uid`'s files whose key groups meet `groups`:
  /// what a worker owning `groups` reads at any parallelism.
  std::vector<std::string_view> states_of(std::string_view stage_uid, key_group_range groups) const {
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i < meta.files.size(); ++i) {
      const auto& f = meta.files[i];
      if (f.stage_uid != stage_uid) continue;
      bool meets = std::max(f.groups.first, groups.first) < std::min(f.groups.last, groups.last);
      if (meets) out.push_back(payloads[i]);
    }
    return out;
  }
  /// The payload of `stage_uid`'s file from `subtask` (state without keys, same parallelism).
  std::optional<std::string_view> state_of(std::string_view stage_uid, std::size_t subtask) const {
    for (std::size_t i = 0; i < meta.files.size(); ++i)
      if (meta.files[i].stage_uid == stage_uid && meta.files[i].subtask == subtask) return payloads[i];
    return std::nullopt;
  }
};

inline std::string checkpoint_folder(checkpoint_id n) { return "chk-" + std::to_string(n); }

/// n for a folder named `chk-<n>` (digits only, no leading zero); nullopt otherwise.
inline std::optional<checkpoint_id> parse_checkpoint_folder(std::string_view f) {
  if (!f.starts_with("chk-") || f.size() == 4 || f.size() > 24) return std::nullopt;
  auto d = f.substr(4);
  if (d.size() > 1 && d.front() == '0') return std::nullopt;
  checkpoint_id n = 0;
  for (char c : d) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<checkpoint_id>(c - '0');
  }
  return n;
}

namespace detail {
inline std::string join(std::string_view folder, std::string_view name) {
  return folder.empty() ? std::string(name) : std::string(folder) + "/" + std::string(name);
}
inline std::string where(const storage& s, std::string_view folder) {
  return (folder.empty() ? std::string("the root") : "'" + std::string(folder) + "'") + " in " + s.describe();
}

inline void check_content(const checkpoint_content& c) {
  auto bad = [&](const std::string& why) {
    throw std::invalid_argument("spate: checkpoint " + std::to_string(c.id) + ": " + why);
  };
  if (c.parallelism == 0) bad("the parallelism must be at least 1");
  key_groups{c.max_parallelism}.check(c.parallelism);
  std::set<std::string_view> uids(c.stage_uids.begin(), c.stage_uids.end());
  for (const auto& f : c.files) {
    if (f.stage_uid.empty()) bad("a state file has no stage uid");
    if (!c.stage_uids.empty() && !uids.count(f.stage_uid))
      bad("state file of stage '" + f.stage_uid + "', which is not among the job's stage uids");
    if (f.subtask >= c.parallelism)
      bad("stage '" + f.stage_uid + "': subtask " + std::to_string(f.subtask) + " of parallelism " +
          std::to_string(c.parallelism));
    if (f.groups.first > f.groups.last || f.groups.last > c.max_parallelism)
      bad("stage '" + f.stage_uid + "': key groups [" + std::to_string(f.groups.first) + ", " +
          std::to_string(f.groups.last) + ") outside [0, " + std::to_string(c.max_parallelism) + ")");
  }
}
}  // namespace detail

/// Writes a checkpoint's files into `folder` of `s` (the root when empty),
/// the manifest last, and returns the manifest. Refuses a folder that
/// already holds a manifest (ids and savepoints are never overwritten);
/// leftovers of an earlier attempt without a manifest are removed first.
inline manifest write_checkpoint(storage& s, std::string_view folder, const checkpoint_content& c) {
  detail::check_content(c);
  if (s.read(detail::join(folder, manifest_name)))
    throw checkpoint_error("spate: " + detail::where(s, folder) + " already holds a completed " +
                           (c.kind == checkpoint_kind::savepoint ? "savepoint" : "checkpoint") +
                           "; it is never overwritten");
  if (!folder.empty() && !s.list(std::string(folder) + "/").empty()) s.remove_folder(folder);
  manifest m;
  m.id = c.id;
  m.kind = c.kind;
  m.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  m.parallelism = c.parallelism;
  m.max_parallelism = c.max_parallelism;
  if (c.stage_uids.empty()) {
    std::set<std::string> u;
    for (const auto& f : c.files) u.insert(f.stage_uid);
    m.stage_uids.assign(u.begin(), u.end());
  } else {
    m.stage_uids = c.stage_uids;
  }
  m.sources = c.sources;
  std::set<std::string> names;
  for (std::size_t i = 0; i < c.files.size(); ++i) {
    const auto& f = c.files[i];
    std::string name = std::to_string(i) + "-" + safe_file_part(f.stage_uid) + "-s" + std::to_string(f.subtask) +
                       "-kg" + std::to_string(f.groups.first) + "-" + std::to_string(f.groups.last) + ".state";
    std::string bytes = frame(file_kind::state, f.bytes);
    s.write(detail::join(folder, name), bytes);
    m.files.push_back(file_entry{name, f.stage_uid, f.subtask, f.groups, bytes.size(), frame_checksum(bytes)});
  }
  s.write(detail::join(folder, manifest_name), encode_manifest(m));
  return m;
}

/// Reads and validates the checkpoint in `folder`: the manifest and every
/// file it names (present, the size and checksum the manifest lists, a valid
/// frame). The error says which file and what is wrong.
inline result<loaded_checkpoint> load_checkpoint(const storage& s, std::string_view folder) {
  auto fail = [&](const std::string& what) { return error("spate: " + detail::where(s, folder) + ": " + what); };
  auto mbytes = s.read(detail::join(folder, manifest_name));
  if (!mbytes) return fail("no " + std::string(manifest_name) + " (the checkpoint never completed)");
  auto m = decode_manifest(*mbytes);
  if (!m) return fail(std::string(manifest_name) + ": " + m.error().message());
  loaded_checkpoint out;
  out.folder = std::string(folder);
  for (const auto& f : m->files) {
    auto bytes = s.read(detail::join(folder, f.name));
    if (!bytes) return fail("state file '" + f.name + "' (stage '" + f.stage_uid + "') listed in the manifest is missing");
    if (bytes->size() != f.size)
      return fail("state file '" + f.name + "' is " + std::to_string(bytes->size()) + " bytes, the manifest says " +
                  std::to_string(f.size) + " (truncated or replaced)");
    auto payload = unframe(*bytes, file_kind::state);
    if (!payload) return fail("state file '" + f.name + "': " + payload.error().message());
    if (frame_checksum(*bytes) != f.crc)
      return fail("state file '" + f.name + "': its checksum differs from the one in the manifest (replaced)");
    out.payloads.emplace_back(*payload);
  }
  out.meta = std::move(*m);
  return out;
}

/// Which checkpoint a restore may take.
struct restore_rule {
  /// The checkpoint whose output is committed (exactly-once: the id in the
  /// committed offsets' metadata). Newer ones are skipped; when this one does
  /// not validate, the restore fails.
  std::optional<checkpoint_id> committed;
};

struct restore_choice {
  std::optional<loaded_checkpoint> checkpoint;  ///< none: start from scratch
  std::vector<std::string> warnings;            ///< each checkpoint passed over, and why
};

class checkpoint_store {
 public:
  explicit checkpoint_store(storage& s, std::size_t retained = 1) : s_(&s), retained_(retained) {
    if (retained == 0) throw std::invalid_argument("spate: at least one checkpoint must be retained");
  }

  storage& backend() const noexcept { return *s_; }
  std::size_t retained() const noexcept { return retained_; }

  manifest write(const checkpoint_content& c) {
    if (c.kind != checkpoint_kind::checkpoint)
      throw std::invalid_argument("spate: checkpoint_store::write takes checkpoints; use write_savepoint");
    return write_checkpoint(*s_, checkpoint_folder(c.id), c);
  }

  /// Removes what an aborted checkpoint left.
  void discard(checkpoint_id n) { s_->remove_folder(checkpoint_folder(n)); }

  /// Every `chk-<n>` folder present, with or without a manifest, ascending.
  std::vector<checkpoint_id> ids() const {
    std::set<checkpoint_id> out;
    for (const auto& name : s_->list("chk-")) {
      auto slash = name.find('/');
      if (slash == std::string::npos) continue;
      if (auto n = parse_checkpoint_folder(std::string_view(name).substr(0, slash))) out.insert(*n);
    }
    return {out.begin(), out.end()};
  }

  /// Those with a manifest (not validated), ascending.
  std::vector<checkpoint_id> completed_ids() const {
    std::vector<checkpoint_id> out;
    for (auto n : ids())
      if (s_->read(detail::join(checkpoint_folder(n), manifest_name))) out.push_back(n);
    return out;
  }

  /// The first id a new run may use: past every folder present, so a
  /// restarted job never reuses the id of a checkpoint a crash left behind.
  checkpoint_id next_id() const {
    auto all = ids();
    return all.empty() ? 1 : all.back() + 1;
  }

  result<loaded_checkpoint> load(checkpoint_id n) const { return load_checkpoint(*s_, checkpoint_folder(n)); }

  /// After checkpoint `completed` completed: keeps the newest `retained`
  /// (or `keep`) checkpoints with a manifest and an id up to `completed`,
  /// removes every other folder older than `completed` (older checkpoints
  /// and leftovers of aborted ones). Folders newer than `completed` (in
  /// flight) are left alone. Returns the ids removed.
  std::vector<checkpoint_id> prune(checkpoint_id completed) { return prune(completed, retained_); }
  std::vector<checkpoint_id> prune(checkpoint_id completed, std::size_t keep) {
    if (keep == 0) throw std::invalid_argument("spate: at least one checkpoint must be retained");
    std::vector<checkpoint_id> kept, removed;
    auto done = completed_ids();
    for (auto it = done.rbegin(); it != done.rend() && kept.size() < keep; ++it)
      if (*it <= completed) kept.push_back(*it);
    for (auto n : ids())
      if (n < completed && std::find(kept.begin(), kept.end(), n) == kept.end()) {
        s_->remove_folder(checkpoint_folder(n));
        removed.push_back(n);
      }
    return removed;
  }

  /// The checkpoint to restore (see restore_rule); warnings name each newer
  /// one passed over.
  restore_choice latest(const restore_rule& rule = {}) const {
    restore_choice out;
    auto all = ids();
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
      const checkpoint_id n = *it;
      if (rule.committed && n > *rule.committed) {
        out.warnings.push_back("spate: checkpoint " + std::to_string(n) +
                               " is newer than the committed checkpoint " + std::to_string(*rule.committed) +
                               " (its transaction did not commit): not used");
        continue;
      }
      auto c = load(n);
      if (c && c->meta.id != n) {
        out.warnings.push_back("spate: " + checkpoint_folder(n) + " holds the manifest of checkpoint " +
                               std::to_string(c->meta.id) + ": not used");
        continue;
      }
      if (!c) {
        if (rule.committed && n == *rule.committed)
          throw checkpoint_error("spate: the committed checkpoint " + std::to_string(n) +
                                 " cannot be restored (an older one would write its output again): " +
                                 c.error().message());
        out.warnings.push_back(c.error().message() + "; using an older checkpoint");
        continue;
      }
      if (rule.committed && n < *rule.committed)
        throw checkpoint_error("spate: the committed checkpoint " + std::to_string(*rule.committed) + " is not in " +
                               s_->describe() + " (the newest there is " + std::to_string(n) + ")");
      out.checkpoint = std::move(*c);
      return out;
    }
    if (rule.committed && *rule.committed != 0)
      throw checkpoint_error("spate: the committed checkpoint " + std::to_string(*rule.committed) + " is not in " +
                             s_->describe());
    return out;
  }

 private:
  storage* s_;
  std::size_t retained_;
};

/// A savepoint: a checkpoint in a folder the user names (the storage's root
/// when empty), never pruned. The content's kind becomes savepoint.
inline manifest write_savepoint(storage& s, std::string_view folder, checkpoint_content c) {
  if (auto n = parse_checkpoint_folder(folder))
    throw std::invalid_argument("spate: a savepoint folder must not be named like a checkpoint ('" +
                                std::string(folder) + "'): retention would remove it");
  c.kind = checkpoint_kind::savepoint;
  return write_checkpoint(s, folder, c);
}

/// Reads a savepoint (or a checkpoint) from a folder; throws checkpoint_error
/// when it does not validate.
inline loaded_checkpoint load_savepoint(const storage& s, std::string_view folder) {
  auto c = load_checkpoint(s, folder);
  if (!c) throw checkpoint_error(c.error().message());
  return std::move(*c);
}

}  // namespace spate::checkpoint
