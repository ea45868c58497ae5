#pragma once
// text_files_in(dir): Spark's textFileStream. Watches a directory and reads
// each new file once, line by line (std::string records).
//   text_files_in("/data/incoming")
//   text_files_in("/data/incoming", {.include_existing = true})
//   text_files_in("/data/incoming", {.lines = {.max_line = 4096}, .unreadable = bad_file::skip})
// - Files present when the job starts are ignored unless include_existing.
// - Only complete files should appear: write elsewhere (or under a hidden
//   name) and rename into the directory, which is atomic. Names starting
//   with '.' or '_' are ignored, so `.part.tmp` -> `part` works in place.
// - A file is read once, by name; its later changes are not re-read.
// - A listed file that is gone before it could be opened is never an error:
//   it is counted (stats()->files_vanished), and a new file of that name
//   will be read. A file that cannot be opened or read (permissions, I/O
//   errors, a dangling symlink) or that shrinks while it is read follows
//   directory_options::unreadable: fail the job (bad_file::fail, the
//   default; the error names the file, and the byte offset for a read), or
//   skip the rest of it and count it (bad_file::skip: files_skipped; lines
//   already read from it stay delivered, a line it cut is dropped and counted
//   in partial_lines_dropped).
// - Lines follow directory_options::lines (line_options), per file: errors
//   name the file, the line's number and its byte offset.
// - With parallelism P, shard i reads the files whose name hashes to i.
// - The stream is unbounded; stop the context to end it.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_set>
#include <utility>
#include <vector>

#include "../exec/barriers.hpp"
#include "lines.hpp"
#include "socket.hpp"
#include "source.hpp"
#include "text_file.hpp"

namespace spate {

/// What to do with a file that cannot be read.
enum class bad_file { fail, skip };

struct directory_options {
  bool include_existing = false;
  std::chrono::milliseconds poll_interval{100};  ///< how often the directory is listed
  line_options lines{};
  bad_file unreadable = bad_file::fail;  ///< a file that cannot be opened or read, or shrinks while read
};

/// Line counters, and what happened to the files.
struct directory_stats : line_stats {
  std::atomic<std::uint64_t> files_read{0};      ///< read to their end
  std::atomic<std::uint64_t> files_vanished{0};  ///< listed, then gone before they could be opened
  std::atomic<std::uint64_t> files_skipped{0};   ///< unreadable, skipped under bad_file::skip
};

namespace detail {
/// True when nothing is left at path (not even a dangling symlink).
inline bool gone(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) != 0 && errno == ENOENT;
}

/// A visible entry of a watched directory.
struct dir_entry {
  enum kind { file, vanished, broken };
  std::string name;
  kind what = file;
  int error = 0;  ///< broken: why it cannot be examined
};

/// The visible entries of dir that are, or may be, regular files, sorted by
/// name: regular files, entries that vanished since the listing (ENOENT),
/// and entries that cannot be examined (a dangling symlink, a loop).
/// Directories, FIFOs and the like are left out.
inline std::vector<dir_entry> list_files(const std::string& dir) {
  std::vector<dir_entry> out;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) throw std::runtime_error("text_files_in: cannot open directory '" + dir + "': " + std::strerror(errno));
  while (dirent* e = ::readdir(d.get())) {
    std::string_view name = e->d_name;
    if (name.empty() || name[0] == '.' || name[0] == '_') continue;
    struct stat st {};
    std::string path = dir + "/" + std::string(name);
    if (::stat(path.c_str(), &st) == 0) {
      if (S_ISREG(st.st_mode)) out.push_back({std::string(name), dir_entry::file, 0});
    } else {
      const int err = errno;
      if (err == ENOENT && gone(path)) out.push_back({std::string(name), dir_entry::vanished, err});
      else out.push_back({std::string(name), dir_entry::broken, err});  // a dangling symlink, a loop, ...
    }
  }
  std::sort(out.begin(), out.end(), [](const dir_entry& a, const dir_entry& b) { return a.name < b.name; });
  return out;
}
}  // namespace detail

struct directory_source : source_tag {
  std::string dir;
  directory_options opt;
  std::shared_ptr<directory_stats> counters = std::make_shared<directory_stats>();
  static constexpr const char* name = "text_files_in";
  using value_type = std::string;
  const directory_stats& stats() const { return *counters; }

  template <class Down>
  struct driver : driver_base<driver<Down>, Down> {
    const directory_source* src = nullptr;
    shard sh;
    std::unordered_set<std::string> seen;
    std::deque<std::string> pending;  // new files, in name order
    detail::file_ptr file;
    std::string current_name, current;
    long long size_at_open = 0;
    detail::line_splitter lines;
    std::string line;
    std::chrono::steady_clock::time_point next_scan{};

    bool mine(const std::string& f) const { return std::hash<std::string>{}(f) % sh.count == sh.index; }

    using position_type = std::tuple<std::vector<std::string>, std::vector<std::string>, std::string, std::uint64_t,
                                     std::uint64_t, bool>;
    /// The position for a checkpoint: the files seen (read, being read or
    /// waiting), those waiting, and where the next line of the file being
    /// read starts.
    void position(std::string& out) const {
      std::vector<std::string> all(seen.begin(), seen.end());
      std::sort(all.begin(), all.end());
      const auto p = lines.next_line();
      spate::detail::snapshot_value(position_type{std::move(all), {pending.begin(), pending.end()},
                                                  file ? current_name : std::string(), p.offset, p.line, p.skipping},
                                    out);
    }
    /// Continues where a checkpoint's position says (the same parallelism).
    void resume(std::string_view saved) {
      auto v = spate::detail::restore_value<position_type>(saved);
      if (!v) throw std::runtime_error("text_files_in '" + src->dir + "': the checkpointed position cannot be read: " +
                                       v.error().message());
      auto& [all, waiting, cur, offset, line_no, skipping] = *v;
      seen = {all.begin(), all.end()};
      pending = {waiting.begin(), waiting.end()};
      if (cur.empty()) return;
      pending.push_front(cur);
      open_next();  // the file read when the checkpoint was taken, from the saved line on
      if (!file) return;
      if (static_cast<long long>(offset) > size_at_open)
        throw std::runtime_error("text_files_in '" + current + "': the checkpoint resumes at byte " +
                                 std::to_string(offset) + " but the file has " + std::to_string(size_at_open) + " bytes now");
      if (::fseeko(file.get(), static_cast<off_t>(offset), SEEK_SET) != 0)
        spate::detail::throw_file_error("text_files_in: cannot seek", current, static_cast<long long>(offset), errno);
      lines.resume_at({offset, line_no, skipping});
    }
    void scan() {
      for (auto& e : detail::list_files(src->dir)) {
        if (!mine(e.name) || seen.count(e.name)) continue;
        if (e.what == detail::dir_entry::file) {
          seen.insert(e.name);
          pending.push_back(e.name);
        } else if (e.what == detail::dir_entry::vanished) {
          ++src->counters->files_vanished;  // between the listing and its stat; not marked seen
        } else {
          seen.insert(e.name);  // once: a later scan lists it again
          unreadable(e.error == ENOENT ? "text_files_in: dangling symbolic link" : "text_files_in: cannot examine",
                     src->dir + "/" + e.name, -1, e.error);
        }
      }
      next_scan = std::chrono::steady_clock::now() + src->opt.poll_interval;
    }
    /// A file that cannot be read: fail, or count it and go on.
    void unreadable(const char* what, const std::string& path, long long offset, int err) {
      if (src->opt.unreadable == bad_file::fail) throw std::runtime_error(detail::file_error_message(what, path, offset, err));
      ++src->counters->files_skipped;
    }
    /// The current file cannot be read further: fail, or count it, drop
    /// the line it cut (counted) and go on with the next file.
    void abandon(const std::string& error) {
      if (src->opt.unreadable == bad_file::fail) throw std::runtime_error(error);
      ++src->counters->files_skipped;
      lines.drop_partial();
      file.reset();
    }
    void open_next() {
      current_name = pending.front();
      pending.pop_front();
      current = src->dir + "/" + current_name;
      file.reset(std::fopen(current.c_str(), "rb"));
      if (!file) {
        const int err = errno;
        if (detail::gone(current)) {
          ++src->counters->files_vanished;
          seen.erase(current_name);  // a new file of this name will be read
        } else {
          unreadable("text_files_in: cannot open", current, -1, err);
        }
        return;
      }
      std::setvbuf(file.get(), nullptr, _IONBF, 0);
      struct stat st {};
      if (::fstat(fileno(file.get()), &st) != 0) {
        const int err = errno;
        file.reset();
        return unreadable("text_files_in: cannot stat", current, -1, err);
      }
      size_at_open = st.st_size;
      lines.restart("text_files_in '" + current + "'");
    }

    poll_result poll(std::size_t max) {
      if (this->done) return {0, poll_status::ended};
      std::size_t n = 0;
      while (n < max) {
        if (auto l = lines.next()) {
          line.assign(*l);
          ++n;
          if (!this->down->push(std::as_const(line))) return this->finish(n, true);
          continue;
        }
        if (!file) {
          if (pending.empty()) {
            if (std::chrono::steady_clock::now() < next_scan) {
              if (n > 0) return {n, poll_status::more};
              const auto from = std::chrono::steady_clock::now();
              std::this_thread::sleep_for(std::chrono::milliseconds(5));
              return {0, poll_status::idle, std::chrono::steady_clock::now() - from};
            }
            scan();
            if (pending.empty()) return {n, n ? poll_status::more : poll_status::idle};
          }
          open_next();
          continue;
        }
        errno = 0;
        std::size_t got = lines.fill([&](char* dst, std::size_t cap) { return std::fread(dst, 1, cap, file.get()); });
        if (got > 0) continue;
        const int err = errno;
        const auto end = static_cast<long long>(lines.offset());
        if (std::ferror(file.get())) {
          abandon(detail::file_error_message("text_files_in: cannot read", current, end, err));
          continue;
        }
        if (auto e = detail::truncation_error("text_files_in", current, file.get(), size_at_open, end); !e.empty()) {
          abandon(e);
          continue;
        }
        file.reset();
        ++src->counters->files_read;
        if (auto l = lines.finish()) {
          line.assign(*l);
          ++n;
          if (!this->down->push(std::as_const(line))) return this->finish(n, true);
        }
      }
      return {n, poll_status::more};
    }
  };

  template <class Env, class Down>
  auto open(Env&, shard sh, Down& down) const {
    auto d = std::make_unique<driver<Down>>();
    d->down = &down;
    d->src = this;
    d->sh = sh;
    d->lines = detail::line_splitter(opt.lines, counters, "text_files_in");
    if (!opt.include_existing)
      for (auto& e : detail::list_files(dir))
        if (e.what != detail::dir_entry::vanished) d->seen.insert(e.name);  // present at start: not read
    return driver_handle<driver<Down>>{std::move(d)};
  }

  /// Shard `sh` resumed from a checkpoint (the same parallelism).
  template <class Env, class Down>
  auto open_at(Env& env, shard sh, Down& down, const exec::restored_input& at) const {
    if (at.count != sh.count)
      throw std::runtime_error("text_files_in '" + dir + "': checkpointed as " + std::to_string(at.count) +
                               " shards, cannot resume as " + std::to_string(sh.count));
    auto h = open(env, sh, down);
    h.d->resume(at.shards[sh.index]);
    return h;
  }
};

/// New files in dir, line by line (see the top of this file).
inline directory_source text_files_in(std::string dir, directory_options opt = {}) {
  return directory_source{{}, std::move(dir), opt};
}

}  // namespace spate
