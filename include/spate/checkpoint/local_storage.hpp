#pragma once
// Checkpoint storage in a local or mounted folder. A write goes to a
// temporary name next to its target (`<name>.tmp-<pid>-<n>`), is fsynced,
// renamed over the target and the folder fsynced, so a crash leaves the old
// blob or the new one, never a part. Temporary leftovers of a crash are not
// listed and go with their folder.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage.hpp"

namespace spate::checkpoint {

class local_storage : public storage {
 public:
  /// Creates the folder if needed and checks that it can be written; fails
  /// with a checkpoint_error naming the folder otherwise.
  explicit local_storage(std::filesystem::path root) : root_(std::move(root)) {
    std::error_code ec;
    std::filesystem::create_directories(root_, ec);
    if (ec) fail("cannot be created", ec.message());
    if (!std::filesystem::is_directory(root_, ec)) fail("is not a folder", "");
    // A probe file proves the folder is writable (permissions, read-only mounts).
    const auto probe = root_ / (".spate-probe-" + std::to_string(::getpid()));
    int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail("cannot be written", std::strerror(errno));
    ::close(fd);
    ::unlink(probe.c_str());
  }

  const std::filesystem::path& root() const noexcept { return root_; }
  std::string describe() const override { return "local folder '" + root_.string() + "'"; }

  void write(std::string_view name, std::string_view bytes) override {
    check_blob_name(name);
    if (name.find(".tmp-") != std::string_view::npos)
      throw std::invalid_argument("spate: checkpoint blob name '" + std::string(name) +
                                  "' contains '.tmp-', which local storage keeps for its temporary files");
    const auto target = root_ / std::string(name);
    const auto dir = target.parent_path();
    make_dirs(dir);
    static std::atomic<unsigned long> counter{0};
    auto tmp = target;
    tmp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) io_fail("cannot create", tmp);
    std::size_t done = 0;
    while (done < bytes.size()) {
      auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int e = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        errno = e;
        io_fail("cannot write", tmp);
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      errno = e;
      io_fail("cannot fsync", tmp);
    }
    if (::close(fd) != 0) {
      int e = errno;
      ::unlink(tmp.c_str());
      errno = e;
      io_fail("cannot close", tmp);
    }
    if (::rename(tmp.c_str(), target.c_str()) != 0) {
      int e = errno;
      ::unlink(tmp.c_str());
      errno = e;
      io_fail("cannot rename into place", target);
    }
    sync_dir(dir);
  }

  std::optional<std::string> read(std::string_view name) const override {
    check_blob_name(name);
    const auto path = root_ / std::string(name);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
      io_fail("cannot open", path);
    }
    std::string out;
    char buf[1 << 16];
    for (;;) {
      auto n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int e = errno;
        ::close(fd);
        errno = e;
        io_fail("cannot read", path);
      }
      if (n == 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
  }

  std::vector<std::string> list(std::string_view prefix = {}) const override {
    std::vector<std::string> out;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(root_, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      auto rel = std::filesystem::relative(it->path(), root_, ec).generic_string();
      if (ec) break;
      if (rel.find(".tmp-") != std::string::npos || rel.starts_with(".spate-probe-")) continue;
      if (rel.starts_with(prefix)) out.push_back(std::move(rel));
    }
    if (ec) throw checkpoint_error("spate: cannot list " + describe() + ": " + ec.message());
    std::sort(out.begin(), out.end());
    return out;
  }

  void remove(std::string_view name) override {
    check_blob_name(name);
    const auto path = root_ / std::string(name);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) io_fail("cannot remove", path);
    sync_dir(path.parent_path());
  }

  void remove_folder(std::string_view folder) override {
    check_blob_name(folder);
    std::error_code ec;
    std::filesystem::remove_all(root_ / std::string(folder), ec);
    if (ec) throw checkpoint_error("spate: cannot remove '" + (root_ / std::string(folder)).string() + "' in " +
                                   describe() + ": " + ec.message());
    sync_dir((root_ / std::string(folder)).parent_path());
  }

 private:
  [[noreturn]] void fail(const char* what, const std::string& why) const {
    throw checkpoint_error("spate: the checkpoint folder '" + root_.string() + "' " + what + (why.empty() ? "" : ": ") +
                           why);
  }
  [[noreturn]] void io_fail(const char* what, const std::filesystem::path& p) const {
    throw checkpoint_error("spate: " + std::string(what) + " '" + p.string() + "' in the checkpoint folder '" +
                           root_.string() + "': " + std::strerror(errno));
  }
  // Creates dir and its missing parents under root, fsyncing each parent
  // that gained an entry, so the new folders survive a crash.
  void make_dirs(const std::filesystem::path& dir) const {
    if (dir == root_) return;
    std::error_code ec;
    if (std::filesystem::is_directory(dir, ec)) return;
    make_dirs(dir.parent_path());
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) io_fail("cannot create the folder", dir);
    sync_dir(dir.parent_path());
  }
  void sync_dir(const std::filesystem::path& dir) const {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return;
      io_fail("cannot open the folder", dir);
    }
    if (::fsync(fd) != 0 && errno != EINVAL) {
      int e = errno;
      ::close(fd);
      errno = e;
      io_fail("cannot fsync the folder", dir);
    }
    ::close(fd);
  }

  std::filesystem::path root_;
};

}  // namespace spate::checkpoint
