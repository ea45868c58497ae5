#pragma once
// Where checkpoints go: named blobs behind an interface, so a local or
// mounted folder (local_storage.hpp) and, later, an object store are the
// same to everything above. Names are relative, '/'-separated paths
// ("chk-7/MANIFEST"); a folder is only a name prefix.
//
// The contract every storage keeps:
//  - write(name, bytes) is atomic and durable: when it returns, a later
//    read (also after a crash of the process or the machine) gives exactly
//    these bytes; when it throws, or the process dies inside it, a read gives
//    the old bytes or nothing, never a part;
//  - list(prefix) names the blobs whose names start with prefix, sorted;
//  - failures throw checkpoint_error, whose message names the place.
#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace spate::checkpoint {

/// A storage, format or restore failure. The message says what and where.
class checkpoint_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class storage {
 public:
  virtual ~storage() = default;
  /// "local folder '/var/chk'": for messages.
  virtual std::string describe() const = 0;
  virtual void write(std::string_view name, std::string_view bytes) = 0;
  /// The blob's bytes; nullopt when there is no such blob.
  virtual std::optional<std::string> read(std::string_view name) const = 0;
  virtual std::vector<std::string> list(std::string_view prefix = {}) const = 0;
  /// Removes one blob (nothing when there is none).
  virtual void remove(std::string_view name) = 0;
  /// Removes every blob under `folder` + "/".
  virtual void remove_folder(std::string_view folder) {
    for (const auto& n : list(std::string(folder) + "/")) remove(n);
  }
};

/// Throws std::invalid_argument unless `name` is a relative path of
/// non-empty components other than "." and "..".
inline void check_blob_name(std::string_view name) {
  auto bad = [&](const char* why) {
    throw std::invalid_argument("spate: checkpoint blob name '" + std::string(name) + "' " + why);
  };
  if (name.empty()) bad("is empty");
  if (name.front() == '/') bad("is absolute (names are relative to the storage)");
  std::size_t start = 0;
  while (start <= name.size()) {
    auto end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    auto part = name.substr(start, end - start);
    if (part.empty()) bad("has an empty component");
    if (part == "." || part == "..") bad("has a '.' or '..' component");
    if (part.find('\0') != std::string_view::npos) bad("has a NUL byte");
    start = end + 1;
  }
}

/// Blobs in memory, for tests and for jobs that only want the protocol.
/// Not thread-safe (local_storage is, for distinct names).
class memory_storage : public storage {
 public:
  std::string describe() const override { return "memory storage"; }
  void write(std::string_view name, std::string_view bytes) override {
    check_blob_name(name);
    blobs_[std::string(name)] = std::string(bytes);
  }
  std::optional<std::string> read(std::string_view name) const override {
    auto it = blobs_.find(std::string(name));
    if (it == blobs_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string> list(std::string_view prefix = {}) const override {
    std::vector<std::string> out;
    for (auto it = blobs_.lower_bound(std::string(prefix)); it != blobs_.end() && it->first.starts_with(prefix); ++it)
      out.push_back(it->first);
    return out;
  }
  void remove(std::string_view name) override { blobs_.erase(std::string(name)); }
  /// Direct access, so tests can corrupt what was written.
  std::map<std::string, std::string, std::less<>>& blobs() noexcept { return blobs_; }

 private:
  std::map<std::string, std::string, std::less<>> blobs_;
};

}  // namespace spate::checkpoint
