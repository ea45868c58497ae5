#pragma once
// text_files_in(dir): Spark's textFileStream. Watches a directory and reads
// each new file once, line by line (std::string records).
//   text_files_in("/data/incoming")
//   text_files_in("/data/incoming", {.include_existing = true})
// - Files present when the job starts are ignored unless include_existing.
// - Only complete files should appear: write elsewhere (or under a hidden
//   name) and rename into the directory, which is atomic. Names starting
//   with '.' or '_' are ignored, so `.part.tmp` -> `part` works in place.
// - A file is read once, by name; its later changes are not re-read.
// - With parallelism P, shard i reads the files whose name hashes to i.
// - The stream is unbounded; stop the context to end it.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "lines.hpp"
#include "socket.hpp"
#include "source.hpp"
#include "text_file.hpp"

namespace spate {

struct directory_options {
  bool include_existing = false;
  std::chrono::milliseconds poll_interval{100};  ///< how often the directory is listed
  line_options lines{};
};

namespace detail {
/// Regular, visible files in dir, sorted by name.
inline std::vector<std::string> list_files(const std::string& dir) {
  std::vector<std::string> out;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) throw std::runtime_error("text_files_in: cannot open directory '" + dir + "': " + std::strerror(errno));
  while (dirent* e = ::readdir(d.get())) {
    std::string_view name = e->d_name;
    if (name.empty() || name[0] == '.' || name[0] == '_') continue;
    struct stat st {};
    std::string path = dir + "/" + std::string(name);
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) out.emplace_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace detail

struct directory_source : source_tag {
  std::string dir;
  directory_options opt;
  std::shared_ptr<line_stats> counters = std::make_shared<line_stats>();
  static constexpr const char* name = "text_files_in";
  using value_type = std::string;
  const line_stats& stats() const { return *counters; }

  template <class Down>
  struct driver : driver_base<driver<Down>, Down> {
    const directory_source* src = nullptr;
    shard sh;
    std::unordered_set<std::string> seen;
    std::deque<std::string> pending;  // new files, in name order
    detail::file_ptr file;
    std::string current;
    detail::line_splitter lines;
    std::string line;
    std::chrono::steady_clock::time_point next_scan{};
    char buf[65536];

    bool mine(const std::string& f) const { return std::hash<std::string>{}(f) % sh.count == sh.index; }
    void scan() {
      for (auto& f : detail::list_files(src->dir))
        if (mine(f) && seen.insert(f).second) pending.push_back(f);
      next_scan = std::chrono::steady_clock::now() + src->opt.poll_interval;
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
              if (n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
              return {n, n ? poll_status::more : poll_status::idle};
            }
            scan();
            if (pending.empty()) return {n, n ? poll_status::more : poll_status::idle};
          }
          current = src->dir + "/" + pending.front();
          pending.pop_front();
          file.reset(std::fopen(current.c_str(), "rb"));
          if (!file) detail::throw_file_error("text_files_in: cannot open", current, -1, errno);
          lines = detail::line_splitter(src->opt.lines, src->counters.get(), "text_files_in(" + current + ")");
          continue;
        }
        std::size_t got = std::fread(buf, 1, sizeof buf, file.get());
        if (got > 0) {
          lines.append(buf, got);
          continue;
        }
        if (std::ferror(file.get())) detail::throw_file_error("text_files_in: cannot read", current, -1, errno);
        file.reset();
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
    if (!opt.include_existing)
      for (auto& f : detail::list_files(dir)) d->seen.insert(f);
    return driver_handle<driver<Down>>{std::move(d)};
  }
};

/// New files in dir, line by line (see the top of this file).
inline directory_source text_files_in(std::string dir, directory_options opt = {}) {
  return directory_source{{}, std::move(dir), opt};
}

}  // namespace spate
