#pragma once
// Helpers of the checkpoint tests: a temporary folder, removed afterwards,
// and storages that record or fail.
#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include <spate/checkpoint/storage.hpp>

namespace chk_test {

class temp_dir {
 public:
  explicit temp_dir(std::string_view stem = "spate_chk") {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            (std::string(stem) + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

/// A memory storage that records the order of writes and can be told to fail.
class recording_storage : public spate::checkpoint::memory_storage {
 public:
  std::vector<std::string> writes;
  bool fail_writes = false;
  std::string fail_on;  ///< a name substring whose write fails

  std::string describe() const override { return "recording storage"; }
  void write(std::string_view name, std::string_view bytes) override {
    if (fail_writes || (!fail_on.empty() && name.find(fail_on) != std::string_view::npos))
      throw spate::checkpoint::checkpoint_error("spate: cannot write '" + std::string(name) +
                                                "' in recording storage: disk full");
    writes.emplace_back(name);
    memory_storage::write(name, bytes);
  }
};

}  // namespace chk_test
