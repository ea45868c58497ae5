#pragma once
// rolling_text_files(dir): a sink writing records as lines into part files,
//   dir/part-00000, dir/part-00001, ...
// Each part is written under a hidden temporary name (dir/.part-00000.inprogress)
// and renamed when complete, so a reader of dir (text_files_in, Spark, a shell
// loop) never sees half a file. A part is complete:
//   - at each batch end (micro-batch), when it has records (per_batch);
//   - when it reaches max_bytes;
//   - at the end of input.
//   rolling_text_files("/out", {.prefix = "counts", .max_bytes = 64 << 20})
// Errors (cannot create, write, rename) throw std::runtime_error naming the file.
//
// Under parallelism P the sink runs one instance per worker, each writing
// parts of its own, with no sink thread: worker i of P numbers its parts
// i, i + P, i + 2P, ... (after the highest part already committed, with
// checkpointing), so names never collide and each part holds one worker's
// records in order. Numbers then have gaps where workers wrote different
// numbers of parts; readers take the parts in name order, as before.
//
// With checkpointing (a context with spate::checkpointing) the sink is
// exactly-once, as Flink's FileSink: a part goes through three states, and
// its name says which.
//   in progress  dir/.part-00005.inprogress   being written
//   pending      dir/.part-00005.pending-7    closed and fsynced at barrier 7
//                                             (or, after the last barrier,
//                                             at the end of input)
//   committed    dir/part-00005               renamed when a checkpoint >= 7
//                                             completed
// At barrier n the open part is closed as well (Flink's
// OnCheckpointRollingPolicy), so every part holds records of one checkpoint
// interval at most; a part also still closes at max_bytes and batch ends,
// and waits, hidden, for the next barrier. The checkpoint's state is in the
// names: when a job restores checkpoint c, the sink, before any record,
// commits every `.pending-k` with k <= c (their records precede barrier c,
// so checkpoint c counts them as written; commits already done are simply
// not there any more), deletes every other hidden part of its prefix (written
// after barrier c: the sources replay those records) and numbers its next
// part after the highest committed one. The visible parts then hold every
// record exactly once, as one uninterrupted run (file boundaries aside).
// A restart whose checkpoint marks the job finished commits what the crash
// left pending and runs nothing. Exactly-once needs the exactly_once mode
// of checkpointing (aligned barriers); under at_least_once a restore may
// write some records twice, as any at-least-once sink.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/format.hpp"
#include "../exec/checkpointing.hpp"
#include "text_file.hpp"

namespace spate {

struct rolling_options {
  std::string prefix = "part";
  std::uint64_t max_bytes = 128ull << 20;  ///< roll when a part reaches this size
  bool per_batch = true;                    ///< roll at every batch end
};

namespace detail {

/// The names of a rolling sink's parts in `dir`.
struct rolling_names {
  std::string dir, prefix;

  static std::string number(std::uint64_t part) {
    char num[32];
    std::snprintf(num, sizeof num, "-%05llu", static_cast<unsigned long long>(part));
    return num;
  }
  std::string committed(std::uint64_t part) const { return dir + "/" + prefix + number(part); }
  std::string in_progress(std::uint64_t part) const { return dir + "/." + prefix + number(part) + ".inprogress"; }
  std::string pending(std::uint64_t part, checkpoint_id n) const {
    return dir + "/." + prefix + number(part) + ".pending-" + std::to_string(n);
  }

  /// A file name (no folder) of this sink's parts, parsed.
  struct parsed {
    enum kind_t { committed, in_progress, pending } kind;
    std::uint64_t part = 0;
    checkpoint_id checkpoint = 0;  ///< pending: the barrier it closed at
  };
  static std::optional<std::uint64_t> digits(std::string_view s) {
    if (s.empty() || s.size() > 19) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
  }
  std::optional<parsed> parse(std::string_view name) const {
    const bool hidden = name.starts_with('.');
    if (hidden) name.remove_prefix(1);
    if (!name.starts_with(prefix) || name.size() <= prefix.size() || name[prefix.size()] != '-') return std::nullopt;
    name.remove_prefix(prefix.size() + 1);
    if (!hidden) {
      auto p = digits(name);
      if (!p) return std::nullopt;
      return parsed{parsed::committed, *p, 0};
    }
    const auto dot = name.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    auto p = digits(name.substr(0, dot));
    if (!p) return std::nullopt;
    const std::string_view suffix = name.substr(dot);
    if (suffix == ".inprogress") return parsed{parsed::in_progress, *p, 0};
    constexpr std::string_view pend = ".pending-";
    if (!suffix.starts_with(pend)) return std::nullopt;
    auto n = digits(suffix.substr(pend.size()));
    if (!n) return std::nullopt;
    return parsed{parsed::pending, *p, *n};
  }
};

/// Flushes f and makes its bytes durable.
inline void sync_file(std::FILE* f, const std::string& path) {
  if (std::fflush(f) != 0) throw_file_error("rolling_text_files: cannot flush", path, -1, errno);
  if (::fsync(fileno(f)) != 0) throw_file_error("rolling_text_files: cannot fsync", path, -1, errno);
}
/// Makes the names in dir (created, renamed, removed) durable.
inline void sync_folder(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_file_error("rolling_text_files: cannot open the folder", dir, -1, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0 && err != EINVAL) throw_file_error("rolling_text_files: cannot fsync the folder", dir, -1, err);
}
/// Renames `from` to `to`; a `from` already gone with `to` there is a
/// commit done before (idempotent).
inline void commit_file(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) == 0) return;
  const int err = errno;
  std::error_code ec;
  if (err == ENOENT && std::filesystem::exists(to, ec)) return;
  throw_file_error("rolling_text_files: cannot rename to", to, -1, err);
}

/// A rolling sink's exactly-once side with checkpointing, shared by the
/// descriptor (prepare_checkpoints), its built sink (the job thread) and the
/// completion listener (the checkpoint thread).
struct rolling_commits {
  rolling_names names;
  std::function<std::optional<checkpoint_id>()> restored_id;  ///< the checkpoint the job restores

  std::mutex m;
  struct pending_part {
    checkpoint_id checkpoint;
    std::string pending, committed;
  };
  std::vector<pending_part> pending;  ///< closed at a barrier, not committed yet
  bool started = false;
  std::uint64_t next_part = 0;
  checkpoint_id last_barrier = 0;

  /// Checkpoint n completed: every part pending for a checkpoint up to n
  /// becomes visible.
  void commit(checkpoint_id n) {
    std::lock_guard lock(m);
    bool any = false;
    std::erase_if(pending, [&](const pending_part& p) {
      if (p.checkpoint > n) return false;
      commit_file(p.pending, p.committed);
      any = true;
      return true;
    });
    if (any) sync_folder(names.dir);
  }
  /// A part closed at barrier n (by the job thread, before it acknowledges n).
  void add(checkpoint_id n, std::string pending_name, std::string committed_name) {
    std::lock_guard lock(m);
    pending.push_back({n, std::move(pending_name), std::move(committed_name)});
  }

  /// The folder as checkpoint c (0: none) left it: pending parts up to c
  /// committed, every other hidden part of the prefix removed. Returns the
  /// part number after the highest committed one.
  std::uint64_t recover(checkpoint_id c) {
    std::vector<std::pair<std::string, rolling_names::parsed>> found;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(names.dir, ec), end; !ec && it != end; it.increment(ec))
      if (auto p = names.parse(it->path().filename().string())) found.emplace_back(it->path().string(), *p);
    if (ec && ec != std::errc::no_such_file_or_directory)
      throw_file_error("rolling_text_files: cannot list", names.dir, -1, ec.value());
    std::uint64_t next = 0;
    bool changed = false;
    for (const auto& [path, p] : found) {
      if (p.kind == rolling_names::parsed::committed) {
        next = std::max(next, p.part + 1);
      } else if (p.kind == rolling_names::parsed::pending && p.checkpoint <= c) {
        commit_file(path, names.committed(p.part));
        next = std::max(next, p.part + 1);
        changed = true;
      } else {
        if (std::remove(path.c_str()) != 0 && errno != ENOENT)
          throw_file_error("rolling_text_files: cannot remove", path, -1, errno);
        changed = true;
      }
    }
    if (changed) sync_folder(names.dir);
    return next;
  }

  /// The built sink starts: the folder is recovered to the restored
  /// checkpoint once; returns the first part number and the checkpoint the
  /// run continues from.
  std::pair<std::uint64_t, checkpoint_id> start() {
    std::lock_guard lock(m);
    if (!started) {
      last_barrier = restored_id ? restored_id().value_or(0) : 0;
      next_part = recover(last_barrier);
      started = true;
    }
    return {next_part, last_barrier};
  }
};

/// The newest checkpoint in the store if its manifest marks the job finished.
inline std::optional<checkpoint_id> finished_checkpoint(const checkpoint::checkpoint_store& store) {
  auto done = store.completed_ids();
  if (done.empty()) return std::nullopt;
  const checkpoint_id n = done.back();
  auto bytes = store.backend().read(checkpoint::checkpoint_folder(n) + "/" + std::string(checkpoint::manifest_name));
  if (!bytes) return std::nullopt;
  auto m = checkpoint::decode_manifest(*bytes);
  if (!m) return std::nullopt;
  for (const auto& s : m->sources)
    if (s.split == exec::finished_marker) return n;
  return std::nullopt;
}

}  // namespace detail

struct rolling_file_sink : sink_tag {
  std::string dir;
  rolling_options opt;
  /// With checkpointing (set by prepare_checkpoints): parts are committed
  /// with checkpoints.
  std::shared_ptr<detail::rolling_commits> commits;
  static constexpr const char* name = "rolling_text_files";
  /// One instance per worker (parts of its own: see the top of this file).
  static constexpr bool per_worker_instances = true;

  template <class Flow>
  static constexpr bool check() {
    return text_sink_accepts<"rolling_text_files", Flow>();
  }

  struct built : sink_control {
    detail::rolling_names names;
    rolling_options opt;
    std::shared_ptr<std::FILE> file;  // shared: built stages are copied while building
    std::string tmp, final_name, text;
    std::uint64_t part = 0, bytes = 0;
    std::uint64_t stride = 1;  ///< the number of instances: this one's parts are `stride` apart
    // With checkpointing: parts closed since the last barrier, and the id of
    // the last barrier (or of the restored checkpoint).
    std::shared_ptr<detail::rolling_commits> commits;
    std::vector<std::uint64_t> closed;  // parts closed, still under their in-progress names
    checkpoint_id last_barrier = 0;

    template <class R>
    bool push(const R& r) {
      if (!file) open();
      if constexpr (std::is_convertible_v<const R&, std::string_view>) {
        write(std::string_view(r));
      } else {
        text = to_text(r);
        write(text);
      }
      write("\n");
      if (bytes >= opt.max_bytes) roll();
      return true;
    }
    void on_batch_end(const batch_info&) {
      if (opt.per_batch) roll();
    }
    /// With checkpointing: the parts closed since the last barrier, and the
    /// open one, become pending for checkpoint id.
    void on_barrier(checkpoint_id id) {
      if (!commits) return;
      pend(id);
      last_barrier = id;
    }
    /// With checkpointing, the parts since the last barrier are pending for
    /// the final checkpoint, whose id is past that barrier's.
    void on_end() {
      if (commits)
        pend(last_barrier + 1);
      else
        roll();
    }

    void open() {
      tmp = names.in_progress(part);
      final_name = names.committed(part);
      std::FILE* f = std::fopen(tmp.c_str(), "wb");
      if (!f) detail::throw_file_error("rolling_text_files: cannot create", tmp, -1, errno);
      file.reset(f, detail::file_closer{});
      bytes = 0;
    }
    void write(std::string_view s) {
      if (std::fwrite(s.data(), 1, s.size(), file.get()) != s.size())
        detail::throw_file_error("rolling_text_files: cannot write", tmp, static_cast<long long>(bytes), errno);
      bytes += s.size();
    }
    /// Completes the current part, if any: flush, close, rename into place
    /// (with checkpointing: fsync, close, and wait for the next barrier).
    void roll() {
      if (!file) return;
      if (commits) {
        detail::sync_file(file.get(), tmp);
        file.reset();
        closed.push_back(part);
        part += stride;
        return;
      }
      if (std::fflush(file.get()) != 0) detail::throw_file_error("rolling_text_files: cannot flush", tmp, -1, errno);
      file.reset();
      if (std::rename(tmp.c_str(), final_name.c_str()) != 0)
        detail::throw_file_error("rolling_text_files: cannot rename to", final_name, -1, errno);
      part += stride;
    }
    /// Closes the open part and renames every closed one to pending for
    /// checkpoint n, durably, before the barrier is acknowledged.
    void pend(checkpoint_id n) {
      roll();
      if (closed.empty()) return;
      for (std::uint64_t p : closed) {
        const std::string pending = names.pending(p, n);
        if (std::rename(names.in_progress(p).c_str(), pending.c_str()) != 0)
          detail::throw_file_error("rolling_text_files: cannot rename to", pending, -1, errno);
      }
      detail::sync_folder(names.dir);
      for (std::uint64_t p : closed) commits->add(n, names.pending(p, n), names.committed(p));
      closed.clear();
    }
  };

  /// With checkpointing (the context calls it before the restore): parts
  /// are committed when a checkpoint completes (see the top of this file).
  /// A restart whose checkpoint marks the job finished runs no sink, so the
  /// parts that the crash left pending for it are committed here.
  std::optional<checkpoint_id> prepare_checkpoints(exec::checkpoint_runtime& rt) {
    auto c = std::make_shared<detail::rolling_commits>();
    c->names = {dir, opt.prefix};
    c->restored_id = [&rt] { return rt.restored_id(); };
    rt.add_completion_listener([c](checkpoint_id n) { c->commit(n); });
    if (auto f = detail::finished_checkpoint(rt.store())) c->recover(*f);
    commits = std::move(c);
    return std::nullopt;
  }
  /// Before a restart of the restart strategy: the next prepare_checkpoints
  /// starts anew (and the next build recovers the folder again).
  void drop_checkpoints() { commits.reset(); }

  template <class Flow, class Env>
  built build(Env& env, stage_label label) const {
    return build_part<Flow>(env, label, shard{0, 1});
  }
  /// Instance sh.index of sh.count (one per worker).
  template <class Flow, class Env>
  built build_part(Env&, stage_label, shard sh) const {
    built b;
    b.names = {dir, opt.prefix};
    b.opt = opt;
    if (commits) {
      b.commits = commits;
      std::tie(b.part, b.last_barrier) = commits->start();  // the first free number, the same for every instance
    }
    b.part += sh.index;
    b.stride = sh.count;
    return b;
  }
};

/// Writes records as lines into rolling part files in dir (see above).
inline rolling_file_sink rolling_text_files(std::string dir, rolling_options opt = {}) {
  return rolling_file_sink{{}, std::move(dir), std::move(opt), nullptr};
}

}  // namespace spate
